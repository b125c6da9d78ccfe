namespace FedLlm.Fuzz.Targets;

/// <summary>
/// One fuzzed entry point: it feeds bytes to a parser of untrusted input and swallows only the exceptions that parser
/// documents for bad input. Anything else escapes and is a finding (afl records it as a crash, the replay test fails).
/// </summary>
public abstract class FuzzTarget
{
    /// <summary>The name used on the command line and as the corpus folder (<c>fuzz/corpus/NAME</c>).</summary>
    public abstract string Name { get; }

    /// <summary>
    /// Parses <paramref name="input"/> (files it needs are written under <paramref name="scratch"/>); true when the
    /// input was accepted, false when it was refused as bad input.
    /// </summary>
    public abstract bool Run(byte[] input, ScratchDirectory scratch);
}
