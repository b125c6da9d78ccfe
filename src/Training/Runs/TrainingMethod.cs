using FedLlm.Foundation.Configuration;

namespace FedLlm.Training.Runs;

/// <summary>What a trainer optimises: supervised fine-tuning on responses, or Direct Preference Optimisation on pairs.</summary>
public enum TrainingMethod
{
    Sft,
    Dpo,
}

/// <summary>Which parameters train: LoRA adapters (PEFT adapter out) or every parameter (model folder out; <c>fedllm train</c> only).</summary>
public enum TrainableParts
{
    Lora,
    Full,
}

public static class TrainingMethods
{
    public static readonly NamedValues<TrainingMethod> Names = new(("sft", TrainingMethod.Sft), ("dpo", TrainingMethod.Dpo));

    public static readonly NamedValues<TrainableParts> Trainable = new(("lora", TrainableParts.Lora), ("full", TrainableParts.Full));
}
