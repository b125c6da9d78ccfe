using static TorchSharp.torch;

namespace FedLlm.Models.Generation;

/// <summary>
/// The seam between scheduling and arithmetic. A scheduler (<see cref="BatchGenerator"/>) decides which sequences advance
/// and samples their tokens; an engine holds one key/value cache per open sequence and computes, in one forward pass,
/// the next-token logits of every sequence it is given. A faster engine (e.g. hand-written kernels for small batches)
/// plugs in here without touching scheduling, sampling, stop handling or serving.
/// </summary>
public interface IDecodeEngine : IDisposable
{
    /// <summary>Positions one sequence can hold: its prompt plus everything generated after it.</summary>
    int Context { get; }

    /// <summary>How many sequences may be open at once.</summary>
    int MaxSequences { get; }

    /// <summary>Opens an empty sequence and returns its id. <paramref name="adapter"/> selects the LoRA adapter its
    /// projections use (0: the model as loaded; others index the engine's adapter bank).</summary>
    int Open(int adapter = 0);

    /// <summary>Tokens fed to <paramref name="sequence"/> so far (the position its next token takes).</summary>
    int Length(int sequence);

    /// <summary>
    /// Appends <paramref name="tokens"/>[i] to sequence <paramref name="sequences"/>[i] (a whole prompt, or one sampled
    /// token) and returns fp32 logits [n, vocab]: row i predicts the token after the last one appended to sequence i.
    /// </summary>
    Tensor Append(IReadOnlyList<int> sequences, IReadOnlyList<IReadOnlyList<int>> tokens);

    /// <summary>Frees the sequence's cache for another.</summary>
    void Close(int sequence);
}
