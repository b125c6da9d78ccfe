using System.Text.Json.Nodes;

namespace FedLlm.Models.Llama;

/// <summary>Hugging Face <c>rope_scaling</c>: "linear" (position interpolation) or "llama3" (Llama 3.1 frequency-dependent scaling).</summary>
public sealed record RopeScaling(string Type, double Factor, double LowFreqFactor = 1, double HighFreqFactor = 4, int OriginalMaxPositionEmbeddings = 8192)
{
    public static RopeScaling? FromJson(JsonObject? json, string source)
    {
        if (json is null) return null;
        string type = (json["rope_type"] ?? json["type"])?.GetValue<string>()
                      ?? throw new ModelLoadException(source, "rope_scaling has no rope_type");
        double factor = json["factor"]?.GetValue<double>() ?? 1.0;
        return type switch
        {
            "default" => null,
            "linear" => new RopeScaling(type, factor),
            "llama3" => new RopeScaling(type, factor,
                json["low_freq_factor"]?.GetValue<double>() ?? 1,
                json["high_freq_factor"]?.GetValue<double>() ?? 4,
                json["original_max_position_embeddings"]?.GetValue<int>() ?? 8192),
            _ => throw new ModelLoadException(source, $"unsupported rope_scaling type '{type}' (supported: linear, llama3)"),
        };
    }

    public JsonObject ToJson()
    {
        var json = new JsonObject { ["rope_type"] = Type, ["factor"] = Factor };
        if (Type == "llama3")
        {
            json["low_freq_factor"] = LowFreqFactor;
            json["high_freq_factor"] = HighFreqFactor;
            json["original_max_position_embeddings"] = OriginalMaxPositionEmbeddings;
        }
        return json;
    }

    /// <summary>Rescales the inverse frequencies (in place) as the scaling type prescribes.</summary>
    public void Apply(double[] inverseFrequencies)
    {
        if (Type == "linear")
        {
            for (int i = 0; i < inverseFrequencies.Length; i++) inverseFrequencies[i] /= Factor;
            return;
        }
        // Llama 3.1: keep high frequencies, divide low ones by the factor, interpolate smoothly in between.
        double lowFreqWavelength = OriginalMaxPositionEmbeddings / LowFreqFactor;
        double highFreqWavelength = OriginalMaxPositionEmbeddings / HighFreqFactor;
        for (int i = 0; i < inverseFrequencies.Length; i++)
        {
            double frequency = inverseFrequencies[i];
            double wavelength = 2 * Math.PI / frequency;
            if (wavelength < highFreqWavelength) continue;
            if (wavelength > lowFreqWavelength)
            {
                inverseFrequencies[i] = frequency / Factor;
                continue;
            }
            double smooth = (OriginalMaxPositionEmbeddings / wavelength - LowFreqFactor) / (HighFreqFactor - LowFreqFactor);
            inverseFrequencies[i] = (1 - smooth) * frequency / Factor + smooth * frequency;
        }
    }
}
