using FedLlm.Federation.Configuration;
using FedLlm.Models;
using FedLlm.Models.Llama;
using FedLlm.Models.Lora;
using FedLlm.Models.Presets;

namespace FedLlm.Federation.Benchmark;

/// <summary>
/// A cell's peak memory, estimated from its config before anything loads (generous on purpose, to refuse a cell that
/// would not fit rather than start it): base weights in their dtype; LoRA weights, gradients and the two Adam moments in
/// fp32, plus four global-size vectors the server and strategy keep; one training batch's activations (per layer about
/// 34·hidden floats per token, the attention scores, and the logits with their softmax and gradient); 1 GiB for the
/// runtime. The benchmark also measures each cell's real peak, which the results show.
/// </summary>
public static class CellMemory
{
    private const long Runtime = 1L << 30;

    /// <returns>Null when the model's shape is unknown (no config.json and no preset).</returns>
    public static long? EstimateBytes(RunConfig config)
    {
        string? file = config.Model.Path is { } path ? Path.Combine(path, "config.json") : null;
        if (file is not null ? !File.Exists(file) : config.Model.Preset is null) return null;
        var model = file is not null ? ModelConfig.Load(file) : ModelPreset.Get(config.Model.Preset!).ToConfig(32_000, 1, 2, 0);
        long hidden = model.HiddenSize, layers = model.NumHiddenLayers, kv = (long)model.NumKeyValueHeads * model.HeadDim;
        long q = (long)model.NumAttentionHeads * model.HeadDim;
        long perLayer = hidden * q * 2 + hidden * kv * 2 + 3 * hidden * model.IntermediateSize;
        long parameters = layers * perLayer + model.VocabSize * hidden * (model.TieWordEmbeddings ? 1 : 2);
        int weightBytes = WeightDtypes.Names.TryParse(config.Model.Dtype, out var dtype) && dtype == TorchSharp.torch.ScalarType.BFloat16 ? 2 : 4;

        var targets = LoraConfig.ParseTargets(config.Lora.Targets).ToHashSet();
        long loraPerLayer = 0;
        foreach (var (name, inputs, outputs) in new[] { ("q_proj", hidden, q), ("k_proj", hidden, kv), ("v_proj", hidden, kv), ("o_proj", q, hidden),
                     ("gate_proj", hidden, (long)model.IntermediateSize), ("up_proj", hidden, (long)model.IntermediateSize), ("down_proj", (long)model.IntermediateSize, hidden) })
            if (targets.Contains(name)) loraPerLayer += config.Lora.Rank * (inputs + outputs);
        long lora = layers * loraPerLayer;

        long tokens = (long)config.Training.BatchSize * config.Training.MaxSequenceLength;
        long activations = 4 * (tokens * hidden * layers * 34 + (long)config.Training.BatchSize * model.NumAttentionHeads * config.Training.MaxSequenceLength * config.Training.MaxSequenceLength * layers
                                + 3 * tokens * model.VocabSize);
        return parameters * weightBytes + lora * 4 * 8 + activations + Runtime;
    }
}
