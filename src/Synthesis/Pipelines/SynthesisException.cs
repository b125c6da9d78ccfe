namespace FedLlm.Synthesis.Pipelines;

/// <summary>
/// A pipeline could not produce data: empty input, a generator that answers nothing usable or cannot be reached. The
/// message is one line that names the input or the generator and the reason, for the command line to print as is.
/// </summary>
public sealed class SynthesisException(string message, Exception? inner = null) : InvalidOperationException(message, inner);
