using FedLlm.Foundation.Randomness;

namespace FedLlm.Data.Loading;

/// <summary>
/// The one held-out splitter of FedLlm: a party's records are shuffled by a stream derived from the run seed and the
/// party's id alone (so a client's split never depends on other clients' data, and a deployed client splits exactly as
/// the simulated client of the same id), and the first <c>round(n·fraction)</c> are held out; at least one record
/// always stays for training.
/// </summary>
public static class HeldOutSplit
{
    public const string RandomPurpose = "held-out";

    /// <param name="partyId">The client id in a federation; 0 for <c>fedllm train</c>.</param>
    public static (IReadOnlyList<T> Train, IReadOnlyList<T> HeldOut) Split<T>(IReadOnlyList<T> records, double fraction, ulong seed, int partyId = 0) =>
        Split(records, fraction, Xoshiro256StarStar.ForPurpose(seed, RandomPurpose, partyId));

    /// <summary>The same rule with the stream of another purpose (e.g. the simulation's global test slice).</summary>
    /// <returns>The records kept and the ones set aside, each in shuffled order.</returns>
    public static (IReadOnlyList<T> Kept, IReadOnlyList<T> HeldOut) Split<T>(IReadOnlyList<T> records, double fraction, Xoshiro256StarStar shuffle)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(shuffle);
        if (fraction is < 0 or >= 1 || double.IsNaN(fraction))
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "held-out fraction must be in [0, 1)");
        int[] order = [.. Enumerable.Range(0, records.Count)];
        shuffle.Shuffle(order.AsSpan());
        int heldOut = order.Length < 2 ? 0 : Math.Min(order.Length - 1, (int)Math.Round(order.Length * fraction));
        return ([.. order.Skip(heldOut).Select(i => records[i])], [.. order.Take(heldOut).Select(i => records[i])]);
    }
}
