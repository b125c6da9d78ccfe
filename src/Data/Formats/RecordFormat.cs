namespace FedLlm.Data.Formats;

/// <summary>How a record's fields map onto an example. <see cref="Auto"/> picks one from the first record's keys.</summary>
public enum RecordFormat
{
    Auto,
    /// <summary>{instruction, input, output} (Alpaca, LLaMA-Factory alpaca_*).</summary>
    Alpaca,
    /// <summary>{instruction, response} (OpenFedLLM / FedLLM-Bench single-turn).</summary>
    InstructionResponse,
    /// <summary>{conversations | messages: [{from, value} | {role, content}], system?} (ShareGPT, OpenAI-style, FedLLM-Bench multi-turn).</summary>
    Conversations,
    /// <summary>{prompt, chosen, rejected} with strings or message lists, or LLaMA-Factory's {conversations, chosen:{from,value}, rejected:{from,value}}.</summary>
    Preference,
    /// <summary>{question, answer} where the answer ends with "#### final" (GSM8K).</summary>
    Gsm8k,
    /// <summary>{goal, target} (AdvBench harmful behaviours): goal is the prompt, target the affirmative answer prefix.</summary>
    AdvBench,
    /// <summary>{text} (raw corpora, text files).</summary>
    Text,
    /// <summary>Fields named by a <see cref="ColumnMapping"/>.</summary>
    Mapped,
}
