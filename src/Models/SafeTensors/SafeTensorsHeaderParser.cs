using System.Text;
using System.Text.Json;

namespace FedLlm.Models.SafeTensors;

/// <summary>Parses and validates a safetensors JSON header against the size of the byte buffer that follows it.</summary>
internal static class SafeTensorsHeaderParser
{
    public const string MetadataKey = "__metadata__";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static (Dictionary<string, SafeTensorInfo> Tensors, Dictionary<string, string> Metadata) Parse(
        string filePath, byte[] header, long bufferLength)
    {
        // The reference implementation rejects headers that do not open with '{' (no BOM, no leading whitespace).
        if (header.Length == 0 || header[0] != (byte)'{')
            throw new SafeTensorsFormatException(filePath, null, "the JSON header does not start with '{'.");
        try
        {
            StrictUtf8.GetCharCount(header);
        }
        catch (DecoderFallbackException error)
        {
            throw new SafeTensorsFormatException(filePath, null, $"the header is not valid UTF-8 (bad byte at header offset {error.Index}).");
        }

        JsonDocument document;
        try
        {
            // Trailing spaces (the writer's padding) are JSON whitespace, so the parser accepts them as they are.
            document = JsonDocument.Parse(header);
        }
        catch (JsonException error)
        {
            throw new SafeTensorsFormatException(filePath, null, $"the header is not valid JSON ({OneLine(error.Message)})");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new SafeTensorsFormatException(filePath, null, "the header is not a JSON object.");

            var tensors = new Dictionary<string, SafeTensorInfo>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            bool sawMetadata = false;
            foreach (JsonProperty property in document.RootElement.EnumerateObject())
            {
                if (property.Name == MetadataKey)
                {
                    if (sawMetadata) throw new SafeTensorsFormatException(filePath, null, $"the header has '{MetadataKey}' twice.");
                    sawMetadata = true;
                    ParseMetadata(filePath, property.Value, metadata);
                    continue;
                }
                if (tensors.ContainsKey(property.Name))
                    throw new SafeTensorsFormatException(filePath, property.Name, "the header lists this tensor twice (duplicate keys are disallowed).");
                tensors.Add(property.Name, ParseTensor(filePath, property.Name, property.Value, bufferLength));
            }
            CheckBufferCoverage(filePath, tensors.Values, bufferLength);
            return (tensors, metadata);
        }
    }

    private static void ParseMetadata(string filePath, JsonElement element, Dictionary<string, string> metadata)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw new SafeTensorsFormatException(filePath, null, $"'{MetadataKey}' must be an object of strings, found {Kind(element)}.");
        foreach (JsonProperty entry in element.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
                throw new SafeTensorsFormatException(filePath, null,
                    $"'{MetadataKey}' value for key '{entry.Name}' must be a string, found {Kind(entry.Value)}.");
            if (!metadata.TryAdd(entry.Name, entry.Value.GetString()!))
                throw new SafeTensorsFormatException(filePath, null, $"'{MetadataKey}' has key '{entry.Name}' twice.");
        }
    }

    private static SafeTensorInfo ParseTensor(string filePath, string name, JsonElement element, long bufferLength)
    {
        SafeTensorsFormatException Bad(string problem) => new(filePath, name, problem);

        if (element.ValueKind != JsonValueKind.Object)
            throw Bad($"the entry must be an object with dtype, shape and data_offsets, found {Kind(element)}.");

        // Unknown extra fields are ignored, as the reference implementation does.
        if (!element.TryGetProperty("dtype", out JsonElement dtypeElement)) throw Bad("the entry has no 'dtype'.");
        if (!element.TryGetProperty("shape", out JsonElement shapeElement)) throw Bad("the entry has no 'shape'.");
        if (!element.TryGetProperty("data_offsets", out JsonElement offsetsElement)) throw Bad("the entry has no 'data_offsets'.");

        if (dtypeElement.ValueKind != JsonValueKind.String) throw Bad($"'dtype' must be a string, found {Kind(dtypeElement)}.");
        string dtypeName = dtypeElement.GetString()!;
        if (!SafeTensorDTypes.TryParseHeaderName(dtypeName, out SafeTensorDType dtype))
            throw Bad($"unknown dtype '{dtypeName}' (supported: {string.Join(", ", SafeTensorDTypes.All.Select(d => d.ToHeaderName()))}).");

        if (shapeElement.ValueKind != JsonValueKind.Array) throw Bad($"'shape' must be an array, found {Kind(shapeElement)}.");
        var shape = new long[shapeElement.GetArrayLength()];
        long elementCount = 1;
        int axis = 0;
        foreach (JsonElement dimensionElement in shapeElement.EnumerateArray())
        {
            if (dimensionElement.ValueKind != JsonValueKind.Number || !dimensionElement.TryGetInt64(out long dimension))
                throw Bad($"shape[{axis}] must be an integer, found {dimensionElement.GetRawText()}.");
            if (dimension < 0) throw Bad($"shape[{axis}] is negative ({dimension}).");
            shape[axis++] = dimension;
            elementCount = MultiplyOrNegative(elementCount, dimension);
        }

        if (offsetsElement.ValueKind != JsonValueKind.Array || offsetsElement.GetArrayLength() != 2)
            throw Bad($"'data_offsets' must be an array [begin, end], found {offsetsElement.GetRawText()}.");
        long begin = ReadOffset(offsetsElement[0], "begin", Bad);
        long end = ReadOffset(offsetsElement[1], "end", Bad);
        if (end < begin) throw Bad($"data_offsets end {end} is before begin {begin}.");
        if (end > bufferLength) throw Bad($"data_offsets [{begin}, {end}] run past the end of the {bufferLength}-byte data buffer.");

        long expectedBytes = MultiplyOrNegative(elementCount, dtype.ElementSize());
        if (elementCount < 0 || expectedBytes < 0)
            throw Bad($"shape [{string.Join(", ", shape)}] has too many elements.");
        if (end - begin != expectedBytes)
            throw Bad($"data_offsets [{begin}, {end}] span {end - begin} bytes but shape [{string.Join(", ", shape)}] of {dtypeName} needs {expectedBytes}.");

        return new SafeTensorInfo(name, dtype, shape, begin, end);
    }

    private static long ReadOffset(JsonElement element, string which, Func<string, SafeTensorsFormatException> bad)
    {
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt64(out long offset) || offset < 0)
            throw bad($"data_offsets {which} must be a non-negative integer, found {element.GetRawText()}.");
        return offset;
    }

    /// <summary>The spec requires the tensors to tile the buffer exactly: no gap, no overlap, nothing after the last one.</summary>
    private static void CheckBufferCoverage(string filePath, IEnumerable<SafeTensorInfo> tensors, long bufferLength)
    {
        long covered = 0;
        SafeTensorInfo? previous = null;
        foreach (SafeTensorInfo tensor in tensors.OrderBy(t => t.DataBegin).ThenBy(t => t.DataEnd))
        {
            if (tensor.DataBegin > covered)
            {
                string after = previous is null ? "the start of the data buffer" : $"tensor '{previous.Name}'";
                throw new SafeTensorsFormatException(filePath, tensor.Name,
                    $"bytes {covered}..{tensor.DataBegin} between {after} and this tensor belong to no tensor (hole in the data buffer).");
            }
            if (tensor.DataBegin < covered)
                throw new SafeTensorsFormatException(filePath, tensor.Name,
                    $"data_offsets [{tensor.DataBegin}, {tensor.DataEnd}] overlap tensor '{previous!.Name}' [{previous.DataBegin}, {previous.DataEnd}].");
            if (tensor.ByteLength > 0 || previous is null) previous = tensor;
            covered = tensor.DataEnd;
        }
        if (covered != bufferLength)
            throw new SafeTensorsFormatException(filePath, null,
                $"the data buffer has {bufferLength} bytes but the tensors cover only {covered}; the file length does not match the header.");
    }

    private static long MultiplyOrNegative(long a, long b)
    {
        if (a < 0) return -1;
        try { return checked(a * b); }
        catch (OverflowException) { return -1; }
    }

    private static string Kind(JsonElement element) => element.ValueKind.ToString().ToLowerInvariant();

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");
}
