using FedLlm.Federation.Configuration;
using FedLlm.Models;
using FedLlm.Training.Runs;

namespace FedLlm.Federation.Runs;

/// <summary>A prepared <c>fedllm train</c> run and what tokenization did to its records.</summary>
/// <param name="Truncated">Examples cut to <c>training.max_sequence_length</c> (prompt first, then the tail).</param>
/// <param name="Dropped">Examples with no response token left after cutting.</param>
public sealed record PreparedTraining(TrainingRun Run, int Truncated, int Dropped);

/// <summary>
/// <c>fedllm train</c>: the run config applied to one party's data on this machine, with the same held-out split,
/// tokenizer, LoRA section and trainer options as that party would use as a federated client (id 0).
/// </summary>
public static class LocalTraining
{
    public static PreparedTraining Prepare(RunConfig config, PretrainedModel model, RunRecords records)
    {
        ArgumentNullException.ThrowIfNull(config);
        var party = RunData.ForParty(config, records, partyId: 0, name: "local");
        var tokenizer = RunSetup.CreateExampleTokenizer(model, config);
        var (_, train, heldOut) = RunSetup.Tokenize(party, tokenizer, config);
        if (train.Count == 0)
            throw new ArgumentException($"{config.Data.Path}: no trainable examples after tokenization ({tokenizer.Dropped} had no response token left)");
        var settings = new TrainingRunSettings
        {
            Method = config.MethodKind,
            RunDirectory = config.RunDirectory,
            Trainer = config.Training.ToOptions(config.Seed),
            Lora = config.TrainableKind == TrainableParts.Full ? null : config.Lora.ToConfig(model.Directory),
            Seed = config.Seed,
            DpoBeta = config.Dpo.Beta,
            EvaluateEvery = config.Evaluation.Every,
            Config = RunConfigJson.ToJson(config),
        };
        return new PreparedTraining(new TrainingRun(settings, model, train, heldOut), tokenizer.Truncated, tokenizer.Dropped);
    }
}
