using FedLlm.Data.Templates;
using FedLlm.Federation.Client;
using FedLlm.Federation.Configuration;
using FedLlm.Models;
using FedLlm.Models.Lora;
using FedLlm.Training.Examples;

namespace FedLlm.Federation.Runs;

/// <summary>
/// The pieces a run builds from its config the same way in every process (simulation, server, deployed client, train),
/// so a client on another machine trains exactly what the simulated client of the same id would.
/// </summary>
public static class RunSetup
{
    public static LoraAdapterSet AttachAdapters(PretrainedModel model, RunConfig config) =>
        LoraAdapterSet.Attach(model.Model, config.Lora.ToConfig(model.Directory), config.Seed);

    public static ExampleTokenizer CreateExampleTokenizer(PretrainedModel model, RunConfig config) =>
        new(model.Tokenizer, TemplateRegistry.Get(config.Data.Template, endOfTurn: model.EndOfTurnToken),
            config.Training.MaxSequenceLength, model.PrependedBosId);

    /// <summary>A client's records tokenized for the run's method; held-out examples beyond <c>evaluation.max_examples</c> are not scored.</summary>
    public static ClientData Tokenize(ClientRecords client, ExampleTokenizer tokenizer, RunConfig config) =>
        new(client.ClientId,
            TokenizedData.Tokenize(tokenizer, config.MethodKind, client.Train),
            TokenizedData.Tokenize(tokenizer, config.MethodKind, client.HeldOut.Take(config.Evaluation.MaxExamples)));
}
