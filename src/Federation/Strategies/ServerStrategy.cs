using System.Text;
using FedLlm.Training.Optimization;

namespace FedLlm.Federation.Strategies;

/// <summary>
/// A federated server algorithm, independent of transport: the simulation engine and a gRPC server drive it the same way.
/// Per round: <see cref="SampleClients"/> → <see cref="PlanRound"/> → clients train → <see cref="Aggregate"/>.
/// Rounds are 0-based. A strategy is not thread-safe; one engine owns it.
/// </summary>
public abstract class ServerStrategy
{
    private static readonly byte[] Magic = "FLSTRAT1"u8.ToArray();
    private const int FormatVersion = 1;
    private const uint EndMarker = 0x454E4421; // "!DNE"

    protected ServerStrategy(StrategyOptions options)
    {
        StrategyRegistry.ThrowIfInvalid(options);
        Options = options;
        Schedule = new LearningRateSchedule(options.Schedule, options.LearningRate, options.TotalRounds, 0, options.MinLearningRate);
    }

    /// <summary>Canonical algorithm name (a name in <see cref="StrategyRegistry"/>, or a wrapper's decorated name).</summary>
    public abstract string Name { get; }

    /// <summary>What the strategy needs from the run (baseline engine behaviour, update extras, the mean its step reads).</summary>
    public abstract StrategyCapabilities Capabilities { get; }

    public StrategyOptions Options { get; }

    /// <summary>The client learning rate of each round (the trainer keeps it constant within a round, as OFL does).</summary>
    public LearningRateSchedule Schedule { get; }

    /// <summary>
    /// True for the local-only baseline: nothing is exchanged. The engine keeps one vector per client (starting from the
    /// initial global), hands each sampled client its own vector instead of the global, and stores the trained vector back;
    /// <see cref="Aggregate"/> returns the global unchanged.
    /// </summary>
    public bool IsLocalOnly => Capabilities.Baseline == BaselineKind.LocalOnly;

    /// <summary>True for the pooled-data baseline: the engine trains one virtual client (id 0) on the union of all data.</summary>
    public bool IsCentral => Capabilities.Baseline == BaselineKind.Central;

    /// <summary>Extra vectors every update must carry (e.g. SCAFFOLD's Δc_i); used by <see cref="UpdateValidator"/>.</summary>
    public IReadOnlyList<string> RequiredUpdateExtras => Capabilities.UpdateExtras;

    /// <summary>
    /// The sorted ids of this round's clients: without replacement, deterministic from (runSeed, round), everyone when
    /// fewer are available than requested.
    /// </summary>
    public virtual IReadOnlyList<int> SampleClients(int round, IReadOnlyList<int> availableClientIds, ulong runSeed)
    {
        ArgumentNullException.ThrowIfNull(availableClientIds);
        int count = ClientSampler.SampleSize(availableClientIds.Count, Options.ClientsPerRound, Options.ClientFraction);
        return ClientSampler.Sample(round, availableClientIds, count, runSeed);
    }

    /// <summary>What every sampled client gets besides the global weights: the round's learning rate and algorithm extras.</summary>
    public virtual RoundPlan PlanRound(int round, float[] global)
    {
        ArgumentNullException.ThrowIfNull(global);
        return new RoundPlan(round, Schedule.At(round));
    }

    /// <summary>The new global vector. Does not modify <paramref name="global"/> or the updates.</summary>
    /// <param name="totalClients">N, all clients of the federation (not only the sampled ones).</param>
    public float[] Aggregate(int round, float[] global, IReadOnlyList<ClientUpdate> updates, int totalClients)
    {
        ArgumentNullException.ThrowIfNull(global);
        ArgumentNullException.ThrowIfNull(updates);
        ArgumentOutOfRangeException.ThrowIfNegative(round);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(totalClients);
        CheckUpdates(global.Length, updates, totalClients);
        float[] next = AggregateCore(round, global, updates, totalClients);
        RoundAggregated(round);
        return next;
    }

    /// <summary>
    /// The default server step of a mean-based strategy: Δ = the <see cref="StrategyCapabilities.Mean"/> of the client
    /// deltas, then <see cref="Step"/>. Strategies that read individual updates override this.
    /// </summary>
    protected virtual float[] AggregateCore(int round, float[] global, IReadOnlyList<ClientUpdate> updates, int totalClients)
    {
        var rule = Capabilities.Mean ?? throw new InvalidOperationException($"'{Name}' must override AggregateCore: its step is not a function of one mean");
        return Step(round, global, AggregationMath.MeanDelta(updates, global, rule.Weighting == DeltaWeighting.BySampleCount));
    }

    /// <summary>
    /// The server optimiser's step from the mean client delta Δ (FedAvg: w + Δ; FedAvgM and FedOpt update their moments).
    /// Under encryption the server only adds ciphertexts, and every member runs this step on the decrypted Δ with its own
    /// copy of the state, so all members compute the same global while the server sees only ciphertexts.
    /// </summary>
    public virtual float[] Step(int round, ReadOnlySpan<float> global, ReadOnlySpan<double> meanDelta) =>
        throw new NotSupportedException($"'{Name}' has no server step of one mean delta");

    /// <summary>
    /// Called once per aggregated round: by <see cref="Aggregate"/> for plaintext updates, by the engine after it summed
    /// ciphertexts (DP accounting happens here, so it is the same for both).
    /// </summary>
    public virtual void RoundAggregated(int round)
    {
    }

    /// <summary>Writes the server state (binary, versioned header) so that <see cref="LoadState"/> continues bit-identically.</summary>
    public void SaveState(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(FormatVersion);
        writer.Write(Name);
        WriteState(writer);
        writer.Write(EndMarker);
    }

    public void LoadState(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        try
        {
            byte[] magic = reader.ReadBytes(Magic.Length);
            if (!magic.AsSpan().SequenceEqual(Magic))
            {
                throw new InvalidDataException("Not a FedLlm strategy state (bad magic header).");
            }
            int version = reader.ReadInt32();
            if (version != FormatVersion)
            {
                throw new InvalidDataException($"Unsupported strategy state version {version}; this build reads version {FormatVersion}.");
            }
            string name = reader.ReadString();
            if (name != Name)
            {
                throw new InvalidDataException($"Strategy state was saved by '{name}' and cannot be loaded into '{Name}'.");
            }
            ReadState(reader);
            if (reader.ReadUInt32() != EndMarker)
            {
                throw new InvalidDataException($"Corrupt '{Name}' strategy state: end marker missing.");
            }
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException($"Truncated '{Name}' strategy state.", ex);
        }
        catch (InvalidDataException ex) when (!ex.Message.Contains($"'{Name}'", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"Cannot load '{Name}' strategy state: {ex.Message}", ex);
        }
    }

    /// <summary>Lets a wrapping strategy (e.g. DP-FedAvg) persist the strategy it wraps inside its own state.</summary>
    internal void WriteWrappedState(BinaryWriter writer) => WriteState(writer);

    internal void ReadWrappedState(BinaryReader reader) => ReadState(reader);

    /// <summary>Strategy-specific state; stateless strategies write nothing.</summary>
    protected virtual void WriteState(BinaryWriter writer)
    {
    }

    protected virtual void ReadState(BinaryReader reader)
    {
    }

    /// <summary>Rejects state vectors whose length disagrees with the model being aggregated.</summary>
    protected static void RequireLength(Array? state, int expected, string what)
    {
        if (state is not null && state.Length != expected)
        {
            throw new InvalidOperationException(
                $"Strategy state '{what}' has length {state.Length} but the global vector has length {expected}; was the state loaded from another model?");
        }
    }

    /// <summary>
    /// Structural preconditions (the engine has already validated every update's values, once): a non-empty round, no
    /// client twice, every vector of the layout's length.
    /// </summary>
    private void CheckUpdates(int parameterCount, IReadOnlyList<ClientUpdate> updates, int totalClients)
    {
        if (updates.Count == 0) throw new ArgumentException($"'{Name}' cannot aggregate a round without client updates.", nameof(updates));
        if (updates.Count > totalClients) throw new ArgumentException($"{updates.Count} updates but only {totalClients} clients in the federation.", nameof(totalClients));
        var seen = new HashSet<int>();
        foreach (ClientUpdate update in updates)
        {
            if (!seen.Add(update.ClientId)) throw new ArgumentException($"Client {update.ClientId} sent more than one update this round.", nameof(updates));
            if (update.Weights.Length != parameterCount)
                throw new ArgumentException($"Client {update.ClientId} sent {update.Weights.Length} parameters; the global vector has {parameterCount}.", nameof(updates));
        }
    }
}
