using System.Text.Json.Nodes;
using FedLlm.Federation.Client;
using FedLlm.Federation.Engine;

namespace FedLlm.Federation.Runs;

/// <summary>Which model an evaluation scores (the <c>"model"</c> of its metrics line).</summary>
public enum EvaluatedModel
{
    /// <summary>The federated (or central) global adapter.</summary>
    Global,
    /// <summary>The base model with adapters off.</summary>
    Base,
    /// <summary>Each client's own adapter (the local-only baseline), averaged over owners.</summary>
    LocalOnly,
}

/// <summary>What an evaluation produced: every evaluated client's held-out score and, where a global test set exists, its score.</summary>
public sealed record EvaluationResult(IReadOnlyList<ClientScore> Scores, TestScore? Test);

/// <summary>How the run started: fresh, or after a finished round restored from its checkpoint.</summary>
/// <param name="CheckpointFiles">The extra files the transport wrote into that checkpoint (empty when fresh).</param>
public sealed record RunStart(int? ResumedAfterRound, float[] Global, IReadOnlyDictionary<string, byte[]> CheckpointFiles);

/// <summary>
/// What differs between a simulation and a deployment, and nothing else: where clients are (an in-process executor or
/// a gRPC one), how they are evaluated, whether the coordinator holds the trained global (not in an encrypted
/// deployment), and what each round records besides the shared metrics. <see cref="FederatedRun"/> drives both.
/// </summary>
public abstract class FederationTransport
{
    /// <summary>The members that may be sampled (revoked members are left out).</summary>
    public abstract IReadOnlyList<int> Members { get; }

    /// <summary>N, every client of the federation.</summary>
    public abstract int FederationSize { get; }

    public abstract IClientExecutor Executor { get; }

    /// <summary>Fewest accepted results that still aggregate; below it the round is recorded as failed.</summary>
    public virtual int MinimumClients => 1;

    /// <summary>Set under encryption: the server's half, which sums ciphertexts.</summary>
    public virtual IOpaqueUpdateAggregator? OpaqueAggregator => null;

    /// <summary>False in an encrypted deployment: only the members hold the trained global.</summary>
    public virtual bool HoldsGlobal => true;

    /// <summary>A local-only client's own vector at the start of <paramref name="round"/> (simulation baseline).</summary>
    public virtual float[]? LocalWeightsOf(int clientId, int round) => null;

    /// <summary>Called once before the first round, after the run folder is restored or started fresh.</summary>
    public virtual void Start(RunStart start)
    {
    }

    /// <summary>Waits until enough members are present to start (a deployment waits for joins).</summary>
    public virtual Task ReadyAsync(CancellationToken cancellation) => Task.CompletedTask;

    /// <summary>The global the run knows after <paramref name="outcome"/> (an encrypted simulation: the members' decrypted global).</summary>
    public virtual float[] AfterRound(RoundOutcome outcome, float[] global) => outcome.Global;

    /// <summary>Adds what this transport measured about the round (wire bytes, ciphertext sizes) to its metrics line.</summary>
    public virtual void AddRoundMetrics(JsonObject record, RoundOutcome outcome, float[] previousGlobal)
    {
    }

    /// <summary>Extra files to keep in each checkpoint (an encrypted simulation's member state).</summary>
    public virtual IReadOnlyDictionary<string, byte[]> CheckpointFiles() => new Dictionary<string, byte[]>();

    /// <summary>Called after round <paramref name="round"/>'s checkpoint is complete.</summary>
    public virtual void Checkpointed(int round, string folder)
    {
    }

    /// <summary>Scores <paramref name="weights"/> (null: the base model, or under encryption the members' own global) on held-out data.</summary>
    public abstract Task<EvaluationResult> EvaluateAsync(int round, EvaluatedModel model, float[]? weights, CancellationToken cancellation);

    /// <summary>The members of the federation as the run saw them (ids, names, record counts), for the report.</summary>
    public abstract IReadOnlyList<FederationMember> DescribeMembers();

    /// <summary>Called once after the last round: tells remote members the run is over.</summary>
    public virtual Task FinishAsync(CancellationToken cancellation) => Task.CompletedTask;
}

/// <summary>One member of a run as the report shows it; record counts are what the member holds (never its data).</summary>
public sealed record FederationMember(int ClientId, string Name, long TrainRecords, long HeldOutRecords);
