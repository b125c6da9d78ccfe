namespace FedLlm.Models;

/// <summary>A model folder that cannot be loaded; the message names the file and what is wrong with it.</summary>
public sealed class ModelLoadException(string file, string problem, Exception? inner = null)
    : Exception($"{file}: {problem}", inner)
{
    public string File { get; } = file;
    public string Problem { get; } = problem;
}
