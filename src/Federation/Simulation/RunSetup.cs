using FedLlm.Data.Model;
using FedLlm.Data.Templates;
using FedLlm.Federation.Client;
using FedLlm.Foundation.Randomness;
using FedLlm.Models;
using FedLlm.Models.Lora;
using FedLlm.Training.Examples;

namespace FedLlm.Federation.Simulation;

/// <summary>
/// The pieces a run builds from its config the same way in every process (simulation, server, deployed client), so
/// a client on another machine trains exactly what the simulated client of the same id would.
/// </summary>
public static class RunSetup
{
    public static LoraAdapterSet AttachAdapters(PretrainedModel model, SimulationConfig config) =>
        LoraAdapterSet.Attach(model.Model, new LoraConfig
        {
            Rank = config.Lora.Rank,
            Alpha = config.Lora.Alpha,
            Dropout = config.Lora.Dropout,
            TargetModules = LoraConfig.ParseTargets(config.Lora.Targets),
            UseRsLora = config.Lora.UseRsLora,
            BaseModelNameOrPath = model.Directory,
        }, config.Seed);

    public static ExampleTokenizer CreateExampleTokenizer(PretrainedModel model, SimulationConfig config)
    {
        var template = TemplateRegistry.Get(config.Data.Template, endOfTurn: model.EndOfTurnToken);
        return new ExampleTokenizer(model.Tokenizer, template, config.Local.MaxSequenceLength, model.PrependedBosId);
    }

    /// <summary>
    /// Splits one client's records into training and held-out examples, shuffled by a stream derived from the run seed
    /// and the client id alone, so the result does not depend on other clients' data.
    /// </summary>
    public static ClientExamples HoldOut(int clientId, string name, IReadOnlyList<InstructionExample> records, double heldOutFraction, ulong seed)
    {
        int[] order = [.. Enumerable.Range(0, records.Count)];
        Xoshiro256StarStar.ForPurpose(seed, "held-out", clientId).Shuffle(order.AsSpan());
        int heldOut = order.Length < 2 ? 0 : Math.Min(order.Length - 1, (int)Math.Round(order.Length * heldOutFraction));
        return new ClientExamples(clientId, name,
            order.Skip(heldOut).Select(i => records[i]).ToList(),
            order.Take(heldOut).Select(i => records[i]).ToList());
    }

    public static ClientData Tokenize(ClientExamples client, ExampleTokenizer tokenizer) =>
        new(client.ClientId, Tokenize(client.Train, tokenizer), Tokenize(client.HeldOut, tokenizer));

    /// <summary>The trainable examples among <paramref name="examples"/> (those whose response survives truncation).</summary>
    public static List<TokenizedExample> Tokenize(IEnumerable<InstructionExample> examples, ExampleTokenizer tokenizer) =>
        examples.Select(e => tokenizer.Tokenize(e.Conversation)).OfType<TokenizedExample>().ToList();
}
