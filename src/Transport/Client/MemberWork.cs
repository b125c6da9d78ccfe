using FedLlm.Data.Model;
using FedLlm.Federation.Client;
using FedLlm.Federation.Configuration;
using FedLlm.Federation.Privacy;
using FedLlm.Federation.Runs;
using FedLlm.Federation.Safety;
using FedLlm.Federation.Synthesis;
using FedLlm.Models;
using FedLlm.Models.Lora;
using FedLlm.Training.Examples;
using FedLlm.Transport.Protocol;

namespace FedLlm.Transport.Client;

/// <summary>What a federation member does with the work the transport delivers (a benchmark plugs in a lighter one).</summary>
public interface IMemberWork
{
    /// <summary>Records held before the train / held-out split (reported at join; never the records themselves).</summary>
    long RecordCount { get; }

    /// <summary>Why this member could not train whatever part of the data it gets (checked before it joins); null when it can.</summary>
    string? ProblemBeforeJoin();

    /// <summary>Called after every successful join (the first time with the id the server assigned).</summary>
    /// <exception cref="InvalidOperationException">The member cannot take part (e.g. nothing of its share is trainable).</exception>
    void Joined(JoinReply join);

    MemberAnswer Run(MemberTask work, CancellationToken cancellation);
}

/// <summary>
/// A member's real work: its own records, split and tokenized exactly as the simulated client of the same id, trained
/// with the simulation's <see cref="LocalClientTrainer"/> (SFT, DP-SGD or DPO, with the round plan's algorithm terms)
/// and scored with its <see cref="ClientEvaluator"/>. Its state (SCAFFOLD's c_i, its DP-SGD accountant) stays in its own
/// folder; only updates, counts, metrics and scores leave.
/// </summary>
public sealed class MemberWork(RunConfig config, PretrainedModel model, LoraAdapterSet adapters, RunRecords records, string stateDirectory, Action<string> log)
    : IMemberWork
{
    private readonly LocalClientTrainer _trainer = new(adapters, config, new ClientStateStore(stateDirectory), model.PadId) { Deployed = true };
    private readonly ClientEvaluator _evaluator = new(model, adapters, config, RunSetup.CreateExampleTokenizer(model, config).Template);
    private (ClientData Data, IReadOnlyList<Example> HeldOut)? _own;

    public long RecordCount => records.Records.Count;

    /// <summary>No records, or none that tokenizes into a trainable example: no share of them could be trained on.</summary>
    public string? ProblemBeforeJoin()
    {
        if (records.Records.Count == 0) return "its data holds no records";
        var all = TokenizedData.Tokenize(RunSetup.CreateExampleTokenizer(model, config), config.MethodKind, records.Records);
        return all.Count == 0 ? "none of its records is trainable after tokenization (check data.format, data.template and training.max_sequence_length)" : null;
    }

    /// <exception cref="InvalidOperationException">Nothing of this member's data is trainable: it should not take part.</exception>
    public void Joined(JoinReply join)
    {
        if (_own is not null) return;
        // FedIT-U2S / FedGC: the member writes or augments its own training records here, before round 1.
        var party = ClientSynthesis.PrepareParty(config, RunData.ForParty(config, records, join.ClientId, join.ClientName), stateDirectory, log);
        // A member whose id the attack: section names trains on attack records (it decides this itself; the server never knows).
        party = AttackData.ApplyToParty(config, party, stateDirectory, log);
        var data = RunSetup.Tokenize(party, RunSetup.CreateExampleTokenizer(model, config), config);
        if (data.Train.Count == 0) throw new InvalidOperationException("no trainable examples in this client's data after tokenization");
        _own = (data, party.HeldOut);
        log($"joined as {join.ClientName} (id {join.ClientId}) for run '{join.RunName}': {data.Train.Count} training and {data.HeldOut.Count} held-out examples");
    }

    public MemberAnswer Run(MemberTask work, CancellationToken cancellation)
    {
        var (data, heldOut) = _own ?? throw new InvalidOperationException("a task arrived before the client joined");
        if (work.Kind == TaskKind.Evaluate)
            return new MemberAnswer.Evaluated(_evaluator.Score(work.EvaluateBase ? null : work.Task.Weights, [(data, heldOut)])[0]);
        try
        {
            return new MemberAnswer.Trained(_trainer.Train(work.Task, data, cancellation));
        }
        catch (PrivacyBudgetExhaustedException e)
        {
            // A member past its budget declines this round and every later one; the federation goes on without it.
            return new MemberAnswer.Failed(e.Message);
        }
    }
}
