using FedLlm.Models;

namespace FedLlm.Training.Examples;

/// <summary>The special tokens a trainer needs from a loaded model: end-of-turn text, padding id and BOS.</summary>
public static class ModelSpecialTokens
{
    /// <summary>The EOS token's text, used as a template's end-of-turn marker so the model learns to stop.</summary>
    public static string? EndOfTurn(PretrainedModel model) =>
        model.Tokenizer.EosId is int eos ? model.Tokenizer.IdToToken(eos) : null;

    /// <summary>Padding id: the tokenizer's, else config.json's, else EOS (padding never carries a label, so any id works).</summary>
    public static int PadId(PretrainedModel model) =>
        model.Tokenizer.PadId ?? model.Config.PadTokenId ?? model.Tokenizer.EosId ?? 0;

    /// <summary>BOS to prepend to every training sequence, when the tokenizer adds one by default.</summary>
    public static int? Bos(PretrainedModel model) => model.Tokenizer.AddBosByDefault ? model.BosTokenId : null;
}
