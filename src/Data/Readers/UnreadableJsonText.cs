using System.Text.Json;

namespace FedLlm.Data.Readers;

/// <summary>
/// JSON parsing accepts strings that cannot become .NET text (invalid UTF-8 bytes, an escaped lone surrogate such as
/// <c>"\ud800"</c>); reading them later throws InvalidOperationException deep in a converter (found by fuzzing). The
/// readers check each record once here, so such a record is a bad row like any other.
/// </summary>
internal static class UnreadableJsonText
{
    /// <summary>What in <paramref name="value"/> is not valid text, or null when every string and key reads.</summary>
    public static string? Find(JsonElement value)
    {
        try
        {
            Read(value);
            return null;
        }
        catch (InvalidOperationException e)
        {
            return $"a string or key is not valid text ({e.Message})";
        }
    }

    private static void Read(JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                value.GetString();
                break;
            case JsonValueKind.Array:
                foreach (var item in value.EnumerateArray()) Read(item);
                break;
            case JsonValueKind.Object:
                foreach (var property in value.EnumerateObject())
                {
                    _ = property.Name;
                    Read(property.Value);
                }
                break;
        }
    }
}
