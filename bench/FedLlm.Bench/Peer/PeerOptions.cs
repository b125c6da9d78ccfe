namespace FedLlm.Bench.Peer;

/// <summary>The peer suite's arguments: <c>--python PATH --layers N --repeats N --matmul N --only a,b</c>, each optional.</summary>
public sealed record PeerOptions
{
    public string Python { get; init; } = PyTorchPeer.DefaultPython;
    /// <summary>Decoder layers of the Qwen2 model; fewer than 24 gives a quick check of the suite.</summary>
    public int Layers { get; init; } = PeerModel.FullLayers;
    /// <summary>Interleaved repeats after the warm-up; the fastest counts.</summary>
    public int Repeats { get; init; } = 3;
    /// <summary>Side of the square matmul that measures each dtype's compute peak.</summary>
    public int MatmulSize { get; init; } = 2048;
    /// <summary>
    /// Measure only figures whose name contains one of these (e.g. <c>fp32</c>, <c>decode</c>); empty means all. On a CPU
    /// without native bf16 the bf16 step runs on a slow fallback and dominates the suite's time.
    /// </summary>
    public IReadOnlyList<string> Only { get; init; } = [];

    public bool Includes(string figure) => Only.Count == 0 || Only.Any(part => figure.Contains(part, StringComparison.Ordinal));

    public static PeerOptions Parse(IReadOnlyList<string> args)
    {
        var options = new PeerOptions();
        for (int i = 0; i < args.Count; i += 2)
        {
            if (i + 1 >= args.Count) throw new ArgumentException($"peer: {args[i]} needs a value");
            string value = args[i + 1];
            options = args[i] switch
            {
                "--python" => options with { Python = value },
                "--layers" => options with { Layers = Positive(args[i], value) },
                "--repeats" => options with { Repeats = Positive(args[i], value) },
                "--matmul" => options with { MatmulSize = Positive(args[i], value) },
                "--only" => options with { Only = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) },
                _ => throw new ArgumentException($"peer: unknown argument '{args[i]}' (valid: --python, --layers, --repeats, --matmul, --only)"),
            };
        }
        return options;
    }

    private static int Positive(string name, string value) =>
        int.TryParse(value, out int n) && n > 0 ? n : throw new ArgumentException($"peer: {name} must be a positive integer, got '{value}'");
}
