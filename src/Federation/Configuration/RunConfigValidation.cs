using System.Globalization;
using FedLlm.Data.Formats;
using FedLlm.Data.Loading;
using FedLlm.Data.Model;
using FedLlm.Data.Templates;
using FedLlm.Federation.Splits;
using FedLlm.Federation.Strategies;
using FedLlm.Models;
using FedLlm.Models.Lora;
using FedLlm.Training.Optimization;
using FedLlm.Training.Runs;

namespace FedLlm.Federation.Configuration;

/// <summary>The one place a run config is checked: every key's own rule, then every combination, each naming its keys.</summary>
internal static class RunConfigValidation
{
    public static IReadOnlyList<string> Problems(RunConfig c, RunPurpose purpose)
    {
        var problems = new List<string>();
        bool federated = purpose is not RunPurpose.Train;
        Add(problems, TrainingMethods.Names.Problem(c.Method, "method"));
        Add(problems, TrainingMethods.Trainable.Problem(c.Trainable, "trainable"));
        bool full = TrainingMethods.Trainable.TryParse(c.Trainable, out var parts) && parts == TrainableParts.Full;
        bool dpo = TrainingMethods.Names.TryParse(c.Method, out var method) && method == TrainingMethod.Dpo;
        if (string.IsNullOrWhiteSpace(c.Name) || c.Name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || c.Name is "." or "..")
            problems.Add($"name '{c.Name}' must be a plain folder name");

        Model(problems, c, purpose, full, dpo);
        Data(problems, c, purpose);
        if (federated) Split(problems, c);
        if (!full) Check(problems, () => c.Lora.ToConfig(null).Validate(), "lora: ");
        Training(problems, c, federated);
        if (dpo && !(c.Dpo.Beta > 0 && double.IsFinite(c.Dpo.Beta))) problems.Add($"dpo.beta must be a finite number > 0, got {F(c.Dpo.Beta)}");
        Evaluation(problems, c);
        problems.AddRange(c.U2s.Validate(purpose, dpo));
        problems.AddRange(c.Fedgc.Validate(c, purpose, dpo));
        if (federated)
        {
            if (full) problems.Add("trainable full applies to fedllm train only: federated runs exchange LoRA adapters");
            if (c.Rounds <= 0) problems.Add($"rounds must be positive, got {c.Rounds}");
            if (c.CheckpointEvery < 0) problems.Add($"checkpoint_every must be >= 0, got {c.CheckpointEvery}");
            if (c.SaveAdapterEvery < 0) problems.Add($"save_adapter_every must be >= 0, got {c.SaveAdapterEvery}");
            if (c.MaxUpdateNorm is double bound && !(bound > 0)) problems.Add($"max_update_norm must be > 0, got {F(bound)}");
            Strategy(problems, c, purpose, out var capabilities);
            problems.AddRange(c.Privacy.Validate(c, capabilities));
            bool natural = SplitMethods.Configurable.TryParse(c.Split.Method, out string? splitMethod) && splitMethod == SplitMethods.Natural;
            int roundSize = natural || c.Split.Clients <= 0 ? 0 : c.RoundSize(c.Split.Clients);
            problems.AddRange(c.Encryption.Validate(c.Strategy.Algorithm, capabilities, purpose == RunPurpose.Serve ? 0 : roundSize));
            problems.AddRange(c.Robust.Validate(purpose == RunPurpose.Serve ? 0 : roundSize, c.Strategy.Algorithm, c.Privacy.IsClientDp));
            if (c.Robust.Enabled && c.Encryption.Enabled)
                problems.Add($"robust.rule {c.Robust.Rule} cannot be combined with encryption.enabled: a rule reads every update on its own, and the server sees only an encrypted sum");
            if (purpose is RunPurpose.Serve or RunPurpose.Join && c.Privacy.ReproducibleNoise && !ReproducibleNoise.AllowedInDeployment)
                problems.Add("privacy.reproducible_noise is refused in a deployment: anyone who knows the run seed could regenerate the noise and subtract it, so ε would protect nothing");
        }
        return problems;
    }

    private static void Model(List<string> problems, RunConfig c, RunPurpose purpose, bool full, bool dpo)
    {
        Add(problems, WeightDtypes.Names.Problem(c.Model.Dtype, "model.dtype"));
        bool needsModel = purpose is not RunPurpose.Partition;
        if (needsModel && c.Model.Path is null && (c.Model.Preset is null || purpose is not RunPurpose.Simulate))
            problems.Add("model.path is required (create one with `fedllm init` or `fedllm convert`)");
        else if (needsModel && c.Model.Path is not null && !Directory.Exists(c.Model.Path) && c.Model.Path != DemoModelPath)
            problems.Add($"model.path '{c.Model.Path}' is not a folder");
        if (full && c.Model.Dtype.Equals("bfloat16", StringComparison.OrdinalIgnoreCase))
            problems.Add("trainable full needs model.dtype float32 (trained weights and optimiser state are fp32)");
        if (full && dpo) problems.Add("method dpo needs trainable lora (the reference model is the base with the adapter switched off)");
    }

    /// <summary>The built-in demo's model is built on first use, so its path need not exist yet.</summary>
    public const string DemoModelPath = "(demo base)";

    private static void Data(List<string> problems, RunConfig c, RunPurpose purpose)
    {
        var d = c.Data;
        if (d.Path is null && purpose is RunPurpose.Train or RunPurpose.Join)
            problems.Add(purpose == RunPurpose.Join ? "data.path is required: a client trains on its own dataset file" : "data.path is required");
        if (d.Path is not null && !File.Exists(d.Path)) problems.Add($"data.path '{d.Path}' does not exist");
        if (d.EvalPath is not null && !File.Exists(d.EvalPath)) problems.Add($"data.eval_path '{d.EvalPath}' does not exist");
        if (d.TestPath is not null && !File.Exists(d.TestPath)) problems.Add($"data.test_path '{d.TestPath}' does not exist");
        Add(problems, RecordFormats.Names.Problem(d.Format, "data.format"));
        Add(problems, BadRowPolicies.Names.Problem(d.OnBadRow, "data.on_bad_row"));
        Add(problems, TemplateRegistry.Names.Problem(d.Template, "data.template"));
        if (d.HeldOutFraction is < 0 or >= 1 || double.IsNaN(d.HeldOutFraction))
            problems.Add($"data.held_out_fraction must be in [0, 1), got {F(d.HeldOutFraction)}");
        if (d.TestFraction is < 0 or >= 1 || double.IsNaN(d.TestFraction)) problems.Add($"data.test_fraction must be in [0, 1), got {F(d.TestFraction)}");
        if (d.TestPath is not null && d.TestFraction > 0) problems.Add("give data.test_path or data.test_fraction, not both");
        if (d.DemoRecords <= 0) problems.Add($"data.demo_records must be positive, got {d.DemoRecords}");
    }

    private static void Split(List<string> problems, RunConfig c)
    {
        var s = c.Split;
        if (SplitMethods.Configurable.Problem(s.Method, "split.method") is { } unknown)
        {
            problems.Add(unknown);
            return;
        }
        string method = SplitMethods.Configurable.Parse(s.Method, "split.method");
        bool natural = method == SplitMethods.Natural;
        if (!natural && s.Clients <= 0) problems.Add($"split.clients must be positive, got {s.Clients}");
        if (method is SplitMethods.DirichletLabel or SplitMethods.QuantityDirichlet && !(s.Alpha > 0))
            problems.Add($"split.alpha must be > 0 for a Dirichlet split, got {F(s.Alpha)}");
        if (method is SplitMethods.DirichletLabel or SplitMethods.Natural) Add(problems, ExampleFields.Names.Problem(s.Field, "split.field"));
    }

    private static void Training(List<string> problems, RunConfig c, bool federated)
    {
        var t = c.Training;
        Add(problems, ScheduleKinds.Names.Problem(t.Schedule, "training.schedule"));
        if (!(t.LearningRate > 0) || double.IsInfinity(t.LearningRate)) problems.Add($"training.learning_rate must be a finite number > 0, got {F(t.LearningRate)}");
        if (!(t.MinLearningRate >= 0) || double.IsInfinity(t.MinLearningRate)) problems.Add($"training.min_learning_rate must be a finite number >= 0, got {F(t.MinLearningRate)}");
        else if (t.MinLearningRate > t.LearningRate && !t.Schedule.Equals("constant", StringComparison.OrdinalIgnoreCase))
            problems.Add($"training.min_learning_rate ({F(t.MinLearningRate)}) exceeds training.learning_rate ({F(t.LearningRate)})");
        if (t.WeightDecay < 0) problems.Add($"training.weight_decay must be >= 0, got {F(t.WeightDecay)}");
        if (t.BatchSize <= 0) problems.Add($"training.batch_size must be positive, got {t.BatchSize}");
        if (t.GradientAccumulation <= 0) problems.Add($"training.gradient_accumulation must be positive, got {t.GradientAccumulation}");
        if (t.MaxSteps is <= 0) problems.Add($"training.max_steps must be positive, got {t.MaxSteps}");
        if (t.MaxSteps is null && !(t.Epochs > 0)) problems.Add($"training.epochs must be positive, got {F(t.Epochs)}");
        if (t.MaxSequenceLength < 2) problems.Add($"training.max_sequence_length must be at least 2, got {t.MaxSequenceLength}");
        if (t.WarmupSteps < 0) problems.Add($"training.warmup_steps must be >= 0, got {t.WarmupSteps}");
        if (federated && t.WarmupSteps > 0)
            problems.Add("training.warmup_steps applies to fedllm train: a federated run's rate moves per round, constant within a round");
    }

    private static void Evaluation(List<string> problems, RunConfig c)
    {
        var e = c.Evaluation;
        if (e.Every < 0) problems.Add($"evaluation.every must be >= 0, got {e.Every}");
        if (e.MaxExamples <= 0) problems.Add($"evaluation.max_examples must be positive, got {e.MaxExamples}");
        if (e.MaxAccuracyExamples < 0) problems.Add($"evaluation.max_accuracy_examples must be >= 0, got {e.MaxAccuracyExamples}");
        if (e.MaxTestAccuracyExamples < 0) problems.Add($"evaluation.max_test_accuracy_examples must be >= 0, got {e.MaxTestAccuracyExamples}");
    }

    private static void Strategy(List<string> problems, RunConfig c, RunPurpose purpose, out StrategyCapabilities? capabilities)
    {
        capabilities = null;
        if (!StrategyRegistry.Names.TryParse(c.Strategy.Algorithm, out var kind))
        {
            problems.Add(StrategyRegistry.Names.Problem(c.Strategy.Algorithm, "strategy.algorithm")!);
            return;
        }
        capabilities = kind.Capabilities;
        if (purpose is RunPurpose.Serve or RunPurpose.Join && kind.Capabilities.WhyNotDeployable is { } why)
            problems.Add($"strategy.algorithm '{kind.Name}' cannot run in a deployment: {why}");
        // The k <= N check names the split's client count; a natural split's (or a deployment's) N is known only later.
        bool natural = SplitMethods.Configurable.TryParse(c.Split.Method, out string? method) && method == SplitMethods.Natural;
        int federationSize = natural || purpose is RunPurpose.Serve or RunPurpose.Join ? int.MaxValue : Math.Max(c.Split.Clients, 1);
        var options = c.StrategyOptions(federationSize) with { Algorithm = kind.Name };
        // Learning-rate keys are checked under training.*; only the strategy's own keys are reported here, and k > N
        // names the key N comes from.
        problems.AddRange(StrategyRegistry.Validate(options).Where(p => !p.StartsWith("training.", StringComparison.Ordinal))
            .Select(p => federationSize != int.MaxValue && c.Strategy.ClientsPerRound is int k && k > federationSize && p.StartsWith("strategy.clients_per_round", StringComparison.Ordinal)
                ? $"strategy.clients_per_round ({k}) is larger than the number of clients (split.clients = {c.Split.Clients})"
                : p));
    }

    private static void Add(List<string> problems, string? problem)
    {
        if (problem is not null) problems.Add(problem);
    }

    private static void Check(List<string> problems, Action check, string prefix)
    {
        try { check(); }
        catch (ArgumentException e) { problems.Add(prefix + e.Message); }
    }

    private static string F(double value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// The one escape hatch for seeded DP noise in a deployment: the parity tests set <c>FEDLLM_TEST_REPRODUCIBLE_NOISE=1</c>
/// to compare a deployed DP-FedAvg run with its simulation bit for bit. Nothing else may.
/// </summary>
public static class ReproducibleNoise
{
    public const string TestVariable = "FEDLLM_TEST_REPRODUCIBLE_NOISE";

    public static bool AllowedInDeployment => Environment.GetEnvironmentVariable(TestVariable) == "1";
}
