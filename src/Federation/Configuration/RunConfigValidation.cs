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
        problems.AddRange(c.Attack.Validate(purpose));
        problems.AddRange(c.Defense.Validate(purpose, c.Encryption.Enabled));
        problems.AddRange(c.Evaluation.Safety.Validate(purpose));
        if (dpo && (c.Attack.Enabled || c.Defense.Enabled)) problems.Add("attack and defense train on instruction data with SFT: they cannot be combined with method dpo");
        if (federated)
        {
            if (full) problems.Add("trainable full applies to fedllm train only: federated runs exchange LoRA adapters");
            if (c.Rounds <= 0) problems.Add($"rounds must be positive, got {c.Rounds}");
            if (c.CheckpointEvery < 0) problems.Add($"checkpoint_every must be >= 0, got {c.CheckpointEvery}");
            if (c.SaveAdapterEvery < 0) problems.Add($"save_adapter_every must be >= 0, got {c.SaveAdapterEvery}");
            if (c.MaxUpdateNorm is double bound && !(bound > 0)) problems.Add($"max_update_norm must be > 0, got {F(bound)}");
            if (!(c.MaxUpdateNormRatio == 0 || c.MaxUpdateNormRatio > 1)) problems.Add($"max_update_norm_ratio must be 0 (off) or above 1, got {F(c.MaxUpdateNormRatio)}");
            Strategy(problems, c, purpose, out var capabilities);
            problems.AddRange(c.Privacy.Validate(c, capabilities));
            problems.AddRange(c.Encryption.Validate(c.Strategy.Algorithm, capabilities));
            problems.AddRange(c.Robust.Validate(0, c.Strategy.Algorithm, c.Privacy.IsClientDp));
            if (c.Robust.Enabled && c.Encryption.Enabled)
                problems.Add($"robust.rule {c.Robust.Rule} cannot be combined with encryption.enabled: a rule reads every update on its own, and the server sees only an encrypted sum");
            if (purpose is RunPurpose.Serve or RunPurpose.Join && c.Privacy.ReproducibleNoise && !ReproducibleNoise.AllowedInDeployment)
                problems.Add("privacy.reproducible_noise is refused in a deployment: anyone who knows the run seed could regenerate the noise and subtract it, so ε would protect nothing");
            // Only the simulation's split names N now. A natural split's N is known once the records are read
            // (RunData.Prepare), a deployment's from server.clients (the server): split.clients means nothing there.
            bool natural = SplitMethods.Configurable.TryParse(c.Split.Method, out string? split) && split == SplitMethods.Natural;
            if (purpose is RunPurpose.Simulate or RunPurpose.Partition && !natural && c.Split.Clients > 0)
                problems.AddRange(Federation(c, c.Split.Clients, c.Split.Clients, "split.clients", minClients: 1));
        }
        else
        {
            TrainPrivacy(problems, c);
        }
        return problems;
    }

    /// <summary>
    /// The checks that need the federation's size, in one place: N (<paramref name="total"/>, every client, as SCAFFOLD
    /// divides by it), the members sampling draws from (<paramref name="active"/>), and the fewest accepted updates a
    /// round needs (<paramref name="minClients"/>); <paramref name="source"/> says where N comes from.
    /// </summary>
    public static IReadOnlyList<string> Federation(RunConfig c, int total, int active, string source, int minClients)
    {
        var problems = new List<string>();
        if (active <= 0 || total < active)
        {
            problems.Add($"{source}: the federation needs at least one active client (got {active} of {total})");
            return problems;
        }
        if (c.Strategy.ClientsPerRound is int k && k > active)
            problems.Add($"strategy.clients_per_round ({k}) is larger than the {active} clients ({source})");
        int roundSize = c.RoundSize(active);
        if (roundSize <= 0) return problems; // a non-positive clients_per_round is reported under strategy.*
        Add(problems, c.Attack.FederationProblem(total, source));
        Add(problems, c.Encryption.RoundSizeProblem(roundSize));
        problems.AddRange(c.Robust.RoundSizeProblems(roundSize));
        Add(problems, c.Privacy.RoundSizeProblem(c, active));
        if (minClients > roundSize)
            problems.Add($"server.min_clients ({minClients}) is larger than the {roundSize} clients sampled per round " +
                         $"(strategy.clients_per_round{(c.Strategy.ClientFraction is null ? "" : " / strategy.client_fraction")}; {source}: {active} clients): no round could aggregate");
        // Members learn only N when they join, so under encryption they size DP-FedAvg's fixed denominator m from it;
        // with revoked members a round size derived from N would differ from the server's (drawn from the active ones).
        if (c.Encryption.Enabled && c.Privacy.IsClientDp && total != active && c.Strategy.ClientsPerRound is null)
            problems.Add($"privacy.mode client_dp with encryption.enabled needs strategy.clients_per_round when {source} lists revoked members: " +
                         $"members size the mean's fixed denominator from all {total} clients, the server from the {active} active ones");
        return problems;
    }

    private static void Model(List<string> problems, RunConfig c, RunPurpose purpose, bool full, bool dpo)
    {
        Add(problems, WeightDtypes.Names.Problem(c.Model.Dtype, "model.dtype"));
        bool needsModel = purpose is not RunPurpose.Partition;
        if (needsModel && c.Model.Path is null && (c.Model.Preset is null || purpose is not RunPurpose.Simulate))
            problems.Add("model.path is required (create one with `fedllm init` or `fedllm convert`)");
        else if (needsModel && c.Model.Path is not null && !Directory.Exists(c.Model.Path))
            problems.Add($"model.path '{c.Model.Path}' is not a folder");
        if (full && WeightDtypes.Names.TryParse(c.Model.Dtype, out var dtype) && dtype != TorchSharp.torch.ScalarType.Float32)
            problems.Add("trainable full needs model.dtype float32 (trained weights and optimiser state are fp32)");
        if (full && dpo) problems.Add("method dpo needs trainable lora (the reference model is the base with the adapter switched off)");
    }

    private static void Data(List<string> problems, RunConfig c, RunPurpose purpose)
    {
        var d = c.Data;
        if (d.Path is null && purpose is RunPurpose.Train or RunPurpose.Join)
            problems.Add(purpose == RunPurpose.Join ? "data.path is required: a client trains on its own dataset file" : "data.path is required");
        // The server never reads data: the file's data keys are the members' (and the simulation's), not its own.
        if (purpose is not RunPurpose.Serve)
        {
            if (d.Path is not null && !File.Exists(d.Path)) problems.Add($"data.path '{d.Path}' does not exist");
            if (d.EvalPath is not null && !File.Exists(d.EvalPath)) problems.Add($"data.eval_path '{d.EvalPath}' does not exist");
            if (d.TestPath is not null && !File.Exists(d.TestPath)) problems.Add($"data.test_path '{d.TestPath}' does not exist");
        }
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
        else if (t.MinLearningRate > t.LearningRate && !(ScheduleKinds.Names.TryParse(t.Schedule, out var schedule) && schedule == ScheduleKind.Constant))
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
        // N is not known here (Federation checks everything that needs it), so the strategy's own keys are checked for any N.
        problems.AddRange(StrategyRegistry.Validate(c.StrategyOptions(int.MaxValue) with { Algorithm = kind.Name }));
    }

    /// <summary><c>fedllm train</c> has no DP-SGD: a private config must not quietly train without privacy.</summary>
    private static void TrainPrivacy(List<string> problems, RunConfig c)
    {
        if (PrivacySection.Modes.Problem(c.Privacy.Mode, "privacy.mode") is { } unknown) problems.Add(unknown);
        else if (c.Privacy.Enabled)
            problems.Add($"privacy.mode {PrivacySection.Modes.NameOf(c.Privacy.ModeKind)} is not supported by fedllm train: it would train without " +
                         "differential privacy (use fedllm simulate, or --privacy.mode none for a non-private baseline)");
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
