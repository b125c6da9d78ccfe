using FedLlm.Foundation.Configuration;

namespace FedLlm.Data.Formats;

/// <summary>
/// The config spelling of <see cref="RecordFormat"/> (<c>data.format</c>). <see cref="RecordFormat.Mapped"/> is not
/// named: it follows from a column mapping.
/// </summary>
public static class RecordFormats
{
    public static readonly NamedValues<RecordFormat> Names = new(
        ("auto", RecordFormat.Auto), ("alpaca", RecordFormat.Alpaca), ("instruction_response", RecordFormat.InstructionResponse),
        ("conversations", RecordFormat.Conversations), ("preference", RecordFormat.Preference), ("gsm8k", RecordFormat.Gsm8k),
        ("advbench", RecordFormat.AdvBench), ("text", RecordFormat.Text));
}
