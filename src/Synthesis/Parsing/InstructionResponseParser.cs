using System.Text.Json;
using System.Text.RegularExpressions;

namespace FedLlm.Synthesis.Parsing;

/// <summary>
/// Reads one instruction/response pair from what a generator wrote, tolerating the layouts models produce:
/// KnowledgeSG's <c>##instruction:</c> / <c>##output:</c>, Alpaca's <c>### Instruction:</c> / <c>### Response:</c>,
/// plain <c>Instruction:</c> / <c>Response:</c> (also Output, Answer, Question, bold or any number of #), a JSON object
/// <c>{"instruction": …, "response" | "output" | "answer": …}</c> (with an optional "input" appended, as Alpaca does),
/// code fences, and junk after the pair: the response ends at the next marker of another example (as KnowledgeSG cuts
/// at the next <c>###example:</c>) or at a chat end token. Returns a reason instead of a pair when nothing usable is found.
/// </summary>
public static partial class InstructionResponseParser
{
    private static readonly string[] InstructionKeys = ["instruction", "question", "prompt", "query"];
    private static readonly string[] ResponseKeys = ["response", "output", "answer", "completion"];
    private static readonly string[] EndTokens = ["</s>", "<|eot_id|>", "<|im_end|>", "<|endoftext|>", "<|end|>", "<end_of_turn>"];

    // A marker at the start of a line: optional #s or bold, a field name, optional bold, a colon.
    [GeneratedRegex(@"^[ \t]*(?:#{1,6}[ \t]*)?(?:\*\*|__)?[ \t]*(instruction|question|input|response|output|answer|example)[ \t]*(?:\*\*|__)?[ \t]*[:：][ \t]*(?:\*\*|__)?",
        RegexOptions.IgnoreCase | RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex Marker();

    [GeneratedRegex(@"^[ \t]*```[^\n]*\n?", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex Fence();

    [GeneratedRegex(@"^[ \t]*```[^\n]*\n(.*?)^[ \t]*```", RegexOptions.Multiline | RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex FencedBlock();

    /// <summary>Parses a pair; with <paramref name="requireResponse"/> false an instruction alone is enough (KnowledgeSG's instruction generation).</summary>
    public static ParseOutcome Parse(string? generation, bool requireResponse = true)
    {
        if (string.IsNullOrWhiteSpace(generation)) return ParseOutcome.Fail("empty generation");
        string text = CutAtEndToken(generation.Replace("\r\n", "\n", StringComparison.Ordinal));
        return FromJson(text, requireResponse) ?? FromMarkers(WithoutFences(text), requireResponse);
    }

    /// <summary>The first fenced block holding an instruction marker (so chatter after the fence is not part of the response), else the text without fence lines.</summary>
    private static string WithoutFences(string text)
    {
        foreach (Match block in FencedBlock().Matches(text))
        {
            string content = block.Groups[1].Value;
            if (Marker().Matches(content).Any(m => Canonical(m.Groups[1].Value) == "instruction")) return content;
        }
        return Fence().Replace(text, "");
    }

    private static string CutAtEndToken(string text)
    {
        int cut = text.Length;
        foreach (string token in EndTokens)
        {
            int at = text.IndexOf(token, StringComparison.Ordinal);
            if (at >= 0) cut = Math.Min(cut, at);
        }
        return text[..cut];
    }

    /// <summary>The first balanced {...} that parses as a JSON object with an instruction field; null to try markers.</summary>
    private static ParseOutcome? FromJson(string text, bool requireResponse)
    {
        for (int start = text.IndexOf('{'); start >= 0; start = text.IndexOf('{', start + 1))
        {
            if (BalancedObjectEnd(text, start) is not int end) continue;
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(text.AsMemory(start, end - start + 1));
            }
            catch (JsonException)
            {
                continue;
            }
            using (document)
            {
                string? instruction = Field(document.RootElement, InstructionKeys);
                if (instruction is null) continue;
                string? input = Field(document.RootElement, ["input", "context"]);
                if (!string.IsNullOrWhiteSpace(input)) instruction = instruction.TrimEnd() + "\n\n" + input.Trim();
                return Build(instruction, Field(document.RootElement, ResponseKeys), requireResponse, "JSON object");
            }
        }
        return null;
    }

    /// <summary>Index of the brace closing the object opened at <paramref name="start"/>, skipping braces inside strings.</summary>
    private static int? BalancedObjectEnd(string text, int start)
    {
        int depth = 0;
        bool inString = false;
        for (int i = start; i < text.Length; i++)
        {
            char c = text[i];
            if (inString)
            {
                if (c == '\\') i++;
                else if (c == '"') inString = false;
            }
            else if (c == '"') inString = true;
            else if (c == '{') depth++;
            else if (c == '}' && --depth == 0) return i;
        }
        return null;
    }

    private static string? Field(JsonElement element, string[] names)
    {
        foreach (JsonProperty property in element.EnumerateObject())
        {
            if (names.Contains(property.Name.Trim(), StringComparer.OrdinalIgnoreCase) && property.Value.ValueKind == JsonValueKind.String)
                return property.Value.GetString();
        }
        return null;
    }

    private static ParseOutcome FromMarkers(string text, bool requireResponse)
    {
        var markers = Marker().Matches(text).Select(m => (Name: Canonical(m.Groups[1].Value), m.Index, End: m.Index + m.Length)).ToList();
        int first = markers.FindIndex(m => m.Name == "instruction");
        if (first < 0) return ParseOutcome.Fail("no instruction marker (##instruction:, ### Instruction:, Instruction:) or JSON object with an instruction");
        // The instruction runs to the next marker; an "input" section right after it belongs to the instruction (Alpaca).
        int next = first + 1;
        string instruction = Between(text, markers[first].End, next < markers.Count ? markers[next].Index : text.Length);
        if (next < markers.Count && markers[next].Name == "input")
        {
            string input = Between(text, markers[next].End, next + 1 < markers.Count ? markers[next + 1].Index : text.Length);
            if (input.Length > 0) instruction += "\n\n" + input;
            next++;
        }
        string? response = null;
        if (next < markers.Count && markers[next].Name == "response")
        {
            // The response ends where another example or pair starts; anything the model added after that is dropped.
            int stop = next + 1 < markers.Count ? markers[next + 1].Index : text.Length;
            response = Between(text, markers[next].End, stop);
        }
        return Build(instruction, response, requireResponse, "markers");
    }

    private static string Canonical(string name) => name.ToLowerInvariant() switch
    {
        "question" => "instruction",
        "output" or "answer" => "response",
        string other => other,
    };

    private static string Between(string text, int start, int end) => text[start..end].Trim();

    private static ParseOutcome Build(string instruction, string? response, bool requireResponse, string layout)
    {
        instruction = instruction.Trim();
        if (instruction.Length == 0) return ParseOutcome.Fail($"the instruction is empty ({layout})");
        if (!requireResponse) return new ParseOutcome(new InstructionPair(instruction, response?.Trim() ?? ""), null);
        if (response is null) return ParseOutcome.Fail($"no response after the instruction ({layout}: expected ##output:, ### Response:, Response: or a response/output field)");
        response = response.Trim();
        if (response.Length == 0) return ParseOutcome.Fail($"the response is empty ({layout})");
        return new ParseOutcome(new InstructionPair(instruction, response), null);
    }
}
