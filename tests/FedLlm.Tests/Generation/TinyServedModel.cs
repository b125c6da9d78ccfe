using FedLlm.Data.Demo;
using FedLlm.Federation.Demo;
using FedLlm.Models;
using FedLlm.Models.Lora;
using FedLlm.Models.Presets;
using FedLlm.Tests.Infrastructure;
using static TorchSharp.torch;

namespace FedLlm.Tests.Generation;

/// <summary>
/// A tiny random Llama (byte-level BPE on the demo text) with two LoRA adapters of its own whose weights are random and
/// large enough to change what the model says, written once per test class that uses it as a fixture.
/// </summary>
public sealed class TinyServedModel : IDisposable
{
    public TempDirectory Temp { get; } = new();
    public string ModelDirectory { get; }
    public string AdapterA { get; }
    public string AdapterB { get; }

    public TinyServedModel()
    {
        ModelDirectory = Directory.CreateDirectory(Temp.File("tiny")).FullName;
        var corpus = DemoTasks.Generate(400, 1).SelectMany(e => e.Conversation.Turns.Select(t => t.Content));
        var tokenizer = DemoTokenizer.Create(ModelDirectory, corpus);
        RandomModel.Create(ModelDirectory, ModelPreset.Get("tiny"), tokenizer, seed: 5);
        AdapterA = WriteAdapter("adapter-a", ["q_proj", "v_proj"], seed: 21);
        AdapterB = WriteAdapter("adapter-b", LoraConfig.AllLinearModules, seed: 22);
    }

    public PretrainedModel Load() => PretrainedModel.Load(ModelDirectory);

    private string WriteAdapter(string name, IReadOnlyList<string> targets, ulong seed)
    {
        using var model = Load();
        var adapters = LoraAdapterSet.Attach(model.Model, new LoraConfig { Rank = 4, Alpha = 8, Dropout = 0, TargetModules = targets }, seed);
        using (var generator = new Generator(seed))
        using (var noGrad = no_grad())
        {
            foreach (var (_, parameter) in adapters.Parameters)
            {
                using var noise = randn(parameter.shape, generator: generator);
                parameter.copy_(noise);
            }
        }
        string directory = Temp.File(name);
        adapters.Save(directory);
        return directory;
    }

    public void Dispose() => Temp.Dispose();
}
