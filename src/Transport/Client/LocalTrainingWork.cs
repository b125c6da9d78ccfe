using FedLlm.Data.Model;
using FedLlm.Federation.Client;
using FedLlm.Federation.Engine;
using FedLlm.Federation.Simulation;
using FedLlm.Models;
using FedLlm.Models.Lora;
using FedLlm.Transport.Protocol;

namespace FedLlm.Transport.Client;

/// <summary>
/// A member's real work: its own records, split and tokenized exactly as the simulated client of the same id, trained
/// with the simulation's <see cref="LocalClientTrainer"/>; its state (SCAFFOLD c_i) stays in its own folder.
/// </summary>
public sealed class LocalTrainingWork(SimulationConfig config, PretrainedModel model, LoraAdapterSet adapters,
    IReadOnlyList<InstructionExample> records, string stateDirectory, Action<string> log) : ILocalWork
{
    private readonly LocalClientTrainer _trainer = new(adapters, config.Local, new ClientStateStore(stateDirectory),
        model.PadId, config.Seed);
    private ClientData? _data;

    public void Joined(JoinReply join)
    {
        if (_data is not null) return;
        var tokenizer = RunSetup.CreateExampleTokenizer(model, config);
        _data = RunSetup.Tokenize(RunSetup.HoldOut(join.ClientId, join.ClientName, records, config.Data.HeldOutFraction, config.Seed), tokenizer);
        if (_data.Train.Count == 0) throw new InvalidOperationException("no trainable examples in this client's data after tokenization");
        log($"joined as {join.ClientName} (id {join.ClientId}) for run '{join.RunName}': {_data.Train.Count} training examples");
    }

    public ClientResult Run(ClientTask task, CancellationToken cancellation) =>
        _trainer.Train(task, _data ?? throw new InvalidOperationException("a task arrived before the client joined"), cancellation);
}
