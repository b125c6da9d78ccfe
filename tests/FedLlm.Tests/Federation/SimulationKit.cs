using FedLlm.Data.Demo;
using FedLlm.Federation.Client;
using FedLlm.Federation.Configuration;
using FedLlm.Federation.Demo;
using FedLlm.Foundation.Storage;
using FedLlm.Federation.Runs;
using FedLlm.Models;
using FedLlm.Models.Lora;
using FedLlm.Models.Presets;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Federation;

/// <summary>
/// One tiny random Llama (byte-level BPE on the demo text) shared by the simulation tests. The tests of this
/// collection run one after another: they share libtorch's global state and the two cores.
/// </summary>
public sealed class TinySimulationModel : IDisposable
{
    public TempDirectory Temp { get; } = new();

    public string ModelDirectory { get; }

    public TinySimulationModel()
    {
        ModelDirectory = Directory.CreateDirectory(Temp.File("tiny-model")).FullName;
        var corpus = DemoTasks.Generate(400, 1).SelectMany(e => e.Conversation.Turns.Select(t => t.Content)).Append("user assistant");
        var tokenizer = DemoTokenizer.Create(ModelDirectory, corpus);
        RandomModel.Create(ModelDirectory, ModelPreset.Get("tiny"), tokenizer, seed: 5);
    }

    public PretrainedModel Load() => PretrainedModel.Load(ModelDirectory);

    /// <summary>4 clients, 2 rounds, 2 local steps of batch 2, 48-token windows: seconds per run on the tiny model.</summary>
    public RunConfig Config(string outputDirectory, string algorithm, string name, int rounds = 2) => new()
    {
        Name = name,
        OutputDirectory = outputDirectory,
        Seed = 11,
        Model = new ModelSection { Path = ModelDirectory },
        Data = new DataSection { Template = "chatml", DemoRecords = 72, HeldOutFraction = 0.15 },
        Split = new SplitSection { Method = "dirichlet", Clients = 4, Alpha = 1.0, Field = "category" },
        Lora = new LoraSection { Rank = 4, Alpha = 8, Dropout = 0.0, Targets = "q_proj,v_proj" },
        Strategy = new StrategySection { Algorithm = algorithm, ClientsPerRound = 3 },
        Training = new TrainingSection { LearningRate = 1e-2, MinLearningRate = 1e-3, MaxSteps = 2, BatchSize = 2, MaxSequenceLength = 48 },
        Evaluation = new EvaluationSection { Every = 1, MaxAccuracyExamples = 1, MaxTestAccuracyExamples = 2 },
        Rounds = rounds,
    };

    /// <summary>Validates the config and prepares its (demo) data, as <c>fedllm simulate</c> does before the model loads.</summary>
    public static RunData Data(RunConfig config)
    {
        config.ThrowIfInvalid(RunPurpose.Simulate);
        return RunData.Prepare(config, RunRecords.Load(config));
    }

    public async Task<RunResult> RunAsync(RunConfig config, bool resume = false, IRunObserver? observer = null, CancellationToken cancellation = default)
    {
        var data = Data(config);
        using var model = Load();
        return await Simulation.RunAsync(config, model, data, observer, resume ? StartMode.Resume : StartMode.New, cancellation);
    }

    /// <summary>The adapter vector a fresh run starts from (LoRA initialisation with the run seed).</summary>
    public float[] InitialGlobal(RunConfig config)
    {
        using var model = Load();
        return LoraAdapterSet.Attach(model.Model, config.Lora.ToConfig(null), config.Seed).Flatten();
    }

    /// <summary>Each client's newest local-only adapter vector in the run's client-state store (null when it never trained).</summary>
    public static IReadOnlyList<float[]?> LocalWeights(RunDirectory run, int clients)
    {
        var store = new ClientStateStore(run.ClientStateDirectory);
        return [.. Enumerable.Range(0, clients).Select(c => store.Read(c, InProcessFederation.LocalWeightsKey, int.MaxValue))];
    }

    public static float[] ReadVector(string path) => VectorFile.Read(path);

    public void Dispose() => Temp.Dispose();
}

[CollectionDefinition(Name)]
public sealed class SimulationCollection : ICollectionFixture<TinySimulationModel>
{
    public const string Name = "simulation";
}
