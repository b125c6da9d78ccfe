using FedLlm.Federation.Runs;
using FedLlm.Synthesis.Output;

namespace FedLlm.Cli.Experiments;

/// <summary>
/// Trains the format adapter of <see cref="TutorSection"/>: public examples, each a pipeline prompt and the answer in
/// the layout the parser reads, as a one-party run. Returns the adapter folder, or null when the tutor is off.
/// </summary>
public static class FormatTutor
{
    /// <summary>The role name of an experiment's one generator (U2S, FedGC).</summary>
    public const string GeneratorRole = "generator";

    /// <summary>
    /// The experiment's one generator on its backend, under <see cref="GeneratorRole"/>: the base with a format tutor
    /// taught first from <paramref name="lessons"/> when the tutor is on, else the base itself.
    /// </summary>
    public static async Task<GeneratorBackend> StartGeneratorAsync(ExperimentConfig experiment, Func<IReadOnlyList<(string Prompt, string Answer)>> lessons,
        IRunObserver observer, CancellationToken cancellation)
    {
        string? tutor = await TeachAsync(experiment, experiment.Tutor.Enabled ? lessons() : [], observer, cancellation);
        var backend = await GeneratorBackend.StartAsync(experiment, new Dictionary<string, string?> { [GeneratorRole] = tutor },
            Path.GetFullPath(Path.Combine(experiment.Folder, "cache")));
        observer.Message($"Generator: {experiment.Run.Model.Path}{(tutor is null ? "" : " + format tutor")}, {backend.Description}");
        return backend;
    }

    public static async Task<string?> TeachAsync(ExperimentConfig experiment, IReadOnlyList<(string Prompt, string Answer)> lessons, IRunObserver observer,
        CancellationToken cancellation)
    {
        var tutor = experiment.Tutor;
        if (!tutor.Enabled) return null;
        if (lessons.Count == 0) throw new ArgumentException("tutor: no public examples to teach the reply format with");
        string folder = Path.Combine(experiment.Folder, "tutor");
        string data = Path.Combine(folder, "lessons.jsonl");
        Directory.CreateDirectory(folder);
        SyntheticDatasetWriter.Write(data, lessons.Take(tutor.Rows).Select(l => new SyntheticExample(l.Prompt, l.Answer, Origin: null)));
        var config = ExperimentArms.OneParty(experiment.Run, "run", folder, data) with
        {
            Rounds = 1,
            Training = experiment.Run.Training with
            {
                MaxSteps = tutor.Steps, LearningRate = tutor.LearningRate, BatchSize = tutor.BatchSize, GradientAccumulation = 1,
                MaxSequenceLength = tutor.MaxSequenceLength,
            },
            Evaluation = new Federation.Configuration.EvaluationSection { MaxAccuracyExamples = 0, MaxTestAccuracyExamples = 0 },
            Data = experiment.Run.Data with { Path = data, HeldOutFraction = 0, TestFraction = 0, TestPath = null, EvalPath = null },
        };
        observer.Message($"Teaching the generator the reply format: {Math.Min(lessons.Count, tutor.Rows)} public examples, {tutor.Steps} steps");
        var result = await ExperimentArms.RunAsync(config, observer, cancellation);
        return result.Run.FinalAdapterDirectory;
    }
}
