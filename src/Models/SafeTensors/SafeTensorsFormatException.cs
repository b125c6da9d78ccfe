namespace FedLlm.Models.SafeTensors;

/// <summary>
/// A safetensors file (or shard index) that breaks the format; the one-line message names the file, the tensor and the problem.
/// Derives from <see cref="IOException"/> because <see cref="InvalidDataException"/> is sealed; one catch of IOException thus
/// covers both a missing and a corrupt weights file.
/// </summary>
public sealed class SafeTensorsFormatException : IOException
{
    public SafeTensorsFormatException(string filePath, string? tensorName, string problem)
        : base(Describe(filePath, tensorName, problem))
    {
        FilePath = filePath;
        TensorName = tensorName;
        Problem = problem;
    }

    public string FilePath { get; }

    /// <summary>The offending tensor, or null when the problem is not about one tensor.</summary>
    public string? TensorName { get; }

    /// <summary>What is wrong, without the file and tensor prefix.</summary>
    public string Problem { get; }

    private static string Describe(string filePath, string? tensorName, string problem) =>
        tensorName is null
            ? $"Invalid safetensors file '{filePath}': {problem}"
            : $"Invalid safetensors file '{filePath}', tensor '{tensorName}': {problem}";
}
