using FedLlm.Data.Formats;
using FedLlm.Federation.Configuration;
using FedLlm.Foundation.Configuration;

namespace FedLlm.Cli.Experiments;

/// <summary>Where an experiment's generators run: in this process, or behind FedLlm's OpenAI-compatible server over HTTP.</summary>
public enum BackendKind
{
    InProcess,
    Http,
}

/// <summary>
/// The keys every synthesis experiment shares (YAML, every key also a flag): where it writes, which generator backend it
/// uses, the optional format tutor, and <c>run:</c>, the one run config its arms are derived from (model, LoRA,
/// training, rounds, split, evaluation), so that arms differ only in what the experiment compares.
/// </summary>
public record ExperimentConfig
{
    public static readonly NamedValues<BackendKind> Backends = new(("in_process", BackendKind.InProcess), ("http", BackendKind.Http));

    public string Name { get; init; } = "";
    public string OutputDirectory { get; init; } = "runs/experiments";
    /// <summary>in_process, or http: every generator is served by FedLlm's OpenAI-compatible server on loopback and called over HTTP.</summary>
    public string Backend { get; init; } = "in_process";
    /// <summary>http: the loopback port (0 = any free one; a fixed port lets a re-run hit the response cache, whose key names the endpoint).</summary>
    public int HttpPort { get; init; }
    public TutorSection Tutor { get; init; } = new();
    public RunConfig Run { get; init; } = new();

    public BackendKind BackendKind => Backends.Parse(Backend, "backend");

    public string Folder => Path.Combine(OutputDirectory, Name);

    /// <summary>Problems of the shared keys; each experiment adds its own.</summary>
    public virtual IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Backends.Problem(Backend, "backend") is { } backend) problems.Add(backend);
        if (HttpPort is < 0 or > 65535) problems.Add($"http_port must be in [0, 65535], got {HttpPort}");
        if (string.IsNullOrWhiteSpace(Name) || Name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0) problems.Add($"name '{Name}' must be a plain folder name");
        problems.AddRange(Tutor.Validate());
        if (Run.Model.Path is null) problems.Add("run.model.path is required (a small model, e.g. stories260K converted with `fedllm convert llama2c`)");
        else if (!Directory.Exists(Run.Model.Path)) problems.Add($"run.model.path '{Run.Model.Path}' is not a folder");
        return problems;
    }

    public void ThrowIfInvalid()
    {
        var problems = Validate();
        if (problems.Count > 0) throw new ArgumentException("invalid experiment config: " + string.Join("; ", problems));
    }
}

/// <summary>
/// Teaching a small generator the reply format before it generates: a LoRA adapter trained for <see cref="Steps"/>
/// steps on PUBLIC examples rendered as the pipeline's prompts with the expected <c>##instruction:</c>/<c>##output:</c>
/// answers. A model of a few hundred thousand parameters cannot follow the prompts otherwise, so the parser would have
/// nothing to read; a capable generator needs no tutor (steps 0).
/// </summary>
public sealed record TutorSection
{
    public int Steps { get; init; }
    public double LearningRate { get; init; } = 0.01;
    public int BatchSize { get; init; } = 8;
    public int MaxSequenceLength { get; init; } = 384;
    /// <summary>Public examples rendered for the tutor (at most).</summary>
    public int Rows { get; init; } = 256;

    public bool Enabled => Steps > 0;

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Steps < 0) problems.Add($"tutor.steps must be >= 0, got {Steps}");
        if (!(LearningRate > 0)) problems.Add($"tutor.learning_rate must be > 0, got {LearningRate}");
        if (BatchSize < 1) problems.Add($"tutor.batch_size must be positive, got {BatchSize}");
        if (MaxSequenceLength < 16) problems.Add($"tutor.max_sequence_length must be at least 16, got {MaxSequenceLength}");
        if (Rows < 1) problems.Add($"tutor.rows must be positive, got {Rows}");
        return problems;
    }
}

/// <summary>
/// A dataset an experiment derives from a source file: its records read with an optional column mapping (e.g.
/// <c>prompt=QUESTION,response=final_decision,label=final_decision</c> for PubMedQA), then <see cref="Skip"/> and
/// <see cref="Take"/> in file order, so two roles (a client corpus and a test set) can use disjoint parts of one file.
/// </summary>
public sealed record DatasetSource
{
    public string? Path { get; init; }
    public string? Mapping { get; init; }
    public int Skip { get; init; }
    public int? Take { get; init; }

    public IReadOnlyList<string> Validate(string key)
    {
        var problems = new List<string>();
        if (Path is null) problems.Add($"{key}.path is required");
        else if (!File.Exists(Path)) problems.Add($"{key}.path '{Path}' does not exist");
        if (Skip < 0) problems.Add($"{key}.skip must be >= 0, got {Skip}");
        if (Take is < 1) problems.Add($"{key}.take must be positive, got {Take}");
        if (Mapping is not null)
        {
            try { ColumnMapping.Parse(Mapping).Validate(); }
            catch (ArgumentException e) { problems.Add($"{key}.mapping: {e.Message}"); }
        }
        return problems;
    }
}
