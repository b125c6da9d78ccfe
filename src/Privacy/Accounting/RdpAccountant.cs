using System.Text.Json;
using System.Text.Json.Serialization;

namespace FedLlm.Privacy.Accounting;

/// <summary>
/// Rényi DP accountant for compositions of sampled Gaussian mechanisms with heterogeneous (σ, q).
/// RDP adds up across steps, so the accountant keeps the total RDP per order and converts to (ε, δ) on demand.
/// </summary>
/// <remarks>
/// Keep one accountant for the whole run and record every step of every round the protected party takes part in
/// (for DP-SGD: a client's local steps, all rounds; for DP-FedAvg: one step per round at client-level q).
/// Restarting it each round (as KnowledgeSG's code does) under-reports ε. Not thread-safe.
/// </remarks>
public sealed class RdpAccountant
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
        WriteIndented = true,
    };

    private readonly double[] _orders;
    private readonly double[] _totalRdp;
    private readonly List<RdpStepRecord> _history = [];

    // Per-step RDP per order of the last (σ, q) recorded: trainers record the same mechanism step after step.
    private double _cachedNoiseMultiplier = double.NaN;
    private double _cachedSampleRate = double.NaN;
    private double[]? _cachedStepRdp;

    /// <summary>A fresh accountant (zero privacy loss).</summary>
    public RdpAccountant(RdpAccountingOptions? options = null)
    {
        options ??= RdpAccountingOptions.Default;
        RdpOrders.Validate(options.Orders, nameof(options));
        _orders = options.Orders.ToArray();
        _totalRdp = new double[_orders.Length];
        Summation = options.Summation;
        Conversion = options.Conversion;
    }

    /// <summary>The Rényi orders over which ε is minimised.</summary>
    public IReadOnlyList<double> Orders => _orders;

    /// <summary>Total RDP per order, aligned with <see cref="Orders"/>.</summary>
    public IReadOnlyList<double> TotalRdp => _totalRdp;

    /// <summary>Recorded runs of steps, consecutive identical (σ, q) merged.</summary>
    public IReadOnlyList<RdpStepRecord> History => _history;

    public FractionalOrderSummation Summation { get; }

    public EpsilonConversion Conversion { get; }

    /// <summary>Total number of recorded steps.</summary>
    public long TotalSteps => _history.Sum(r => r.Steps);

    /// <summary>Composes <paramref name="steps"/> steps of the sampled Gaussian mechanism (σ, q).</summary>
    public void Record(double noiseMultiplier, double sampleRate, long steps)
    {
        SampledGaussianRdp.Validate(noiseMultiplier, sampleRate);
        if (steps < 0) throw new ArgumentOutOfRangeException(nameof(steps), steps, "The number of steps must be >= 0.");
        if (steps == 0) return;
        var stepRdp = StepRdp(noiseMultiplier, sampleRate);
        for (int k = 0; k < _orders.Length; k++)
            _totalRdp[k] += steps * stepRdp[k];
        AppendHistory(new RdpStepRecord(noiseMultiplier, sampleRate, steps));
    }

    /// <summary>Total RDP at <paramref name="order"/>; orders outside the grid are recomputed from the history.</summary>
    public double RdpAt(double order)
    {
        int index = Array.IndexOf(_orders, order);
        if (index >= 0) return _totalRdp[index];
        if (double.IsNaN(order) || order <= 1.0)
            throw new ArgumentOutOfRangeException(nameof(order), order, "The Rényi order must be > 1.");
        double total = 0.0;
        foreach (var record in _history)
            total += record.Steps * SampledGaussianRdp.Compute(record.NoiseMultiplier, record.SampleRate, order, Summation);
        return total;
    }

    /// <summary>Smallest certified ε at <paramref name="delta"/> and the order that achieves it.</summary>
    public double GetEpsilon(double delta, out double bestOrder) =>
        RdpConversion.Epsilon(_orders, _totalRdp, delta, Conversion, out bestOrder);

    /// <summary>Smallest certified ε at <paramref name="delta"/>.</summary>
    public double GetEpsilon(double delta) => GetEpsilon(delta, out _);

    /// <summary>Snapshot for checkpointing (copies; later recording does not change it).</summary>
    public RdpAccountantState ExportState() =>
        new(_orders.ToArray(), _totalRdp.ToArray(), _history.ToArray(), Summation, Conversion);

    /// <summary>Rebuilds an accountant from <see cref="ExportState"/> output, validating it.</summary>
    public static RdpAccountant FromState(RdpAccountantState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Orders is null || state.TotalRdp is null || state.History is null)
            throw new ArgumentException("Accountant state is missing its orders, totals or history.", nameof(state));
        if (state.Orders.Length != state.TotalRdp.Length)
            throw new ArgumentException(
                $"Accountant state has {state.Orders.Length} orders but {state.TotalRdp.Length} RDP totals.", nameof(state));
        var accountant = new RdpAccountant(new RdpAccountingOptions(state.Orders, state.Summation, state.Conversion));
        for (int k = 0; k < state.TotalRdp.Length; k++)
        {
            double r = state.TotalRdp[k];
            if (double.IsNaN(r) || r < 0.0)
                throw new ArgumentException($"Accountant state: total RDP at order {state.Orders[k]} (index {k}) is {r}; it must be >= 0.", nameof(state));
            accountant._totalRdp[k] = r;
        }
        for (int i = 0; i < state.History.Length; i++)
        {
            var record = state.History[i] ?? throw new ArgumentException($"Accountant state: history entry {i} is null.", nameof(state));
            try
            {
                SampledGaussianRdp.Validate(record.NoiseMultiplier, record.SampleRate);
            }
            catch (ArgumentOutOfRangeException e)
            {
                throw new ArgumentException($"Accountant state: history entry {i} is invalid: {e.Message}", nameof(state), e);
            }
            if (record.Steps <= 0)
                throw new ArgumentException($"Accountant state: history entry {i} has {record.Steps} steps; it must be > 0.", nameof(state));
            accountant._history.Add(record);
        }
        return accountant;
    }

    /// <summary>JSON form of <see cref="ExportState"/> (±∞ written as "Infinity"/"-Infinity").</summary>
    public string ToJson() => JsonSerializer.Serialize(ExportState(), JsonOptions);

    /// <summary>Parses <see cref="ToJson"/> output.</summary>
    public static RdpAccountant FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        RdpAccountantState? state;
        try
        {
            state = JsonSerializer.Deserialize<RdpAccountantState>(json, JsonOptions);
        }
        catch (JsonException e)
        {
            throw new FormatException($"Accountant state JSON is malformed at line {e.LineNumber}, position {e.BytePositionInLine}: {e.Message}", e);
        }
        return FromState(state ?? throw new FormatException("Accountant state JSON is 'null'."));
    }

    private double[] StepRdp(double noiseMultiplier, double sampleRate)
    {
        // Bitwise comparison, so a cached value is only reused for exactly the inputs it was computed from.
        if (_cachedStepRdp is not null && BitConverter.DoubleToInt64Bits(noiseMultiplier) == BitConverter.DoubleToInt64Bits(_cachedNoiseMultiplier)
            && BitConverter.DoubleToInt64Bits(sampleRate) == BitConverter.DoubleToInt64Bits(_cachedSampleRate))
            return _cachedStepRdp;
        var stepRdp = new double[_orders.Length];
        for (int k = 0; k < _orders.Length; k++)
            stepRdp[k] = SampledGaussianRdp.Compute(noiseMultiplier, sampleRate, _orders[k], Summation);
        (_cachedNoiseMultiplier, _cachedSampleRate, _cachedStepRdp) = (noiseMultiplier, sampleRate, stepRdp);
        return stepRdp;
    }

    private void AppendHistory(RdpStepRecord record)
    {
        if (_history.Count > 0)
        {
            var last = _history[^1];
            if (last.NoiseMultiplier == record.NoiseMultiplier && last.SampleRate == record.SampleRate)
            {
                _history[^1] = last with { Steps = checked(last.Steps + record.Steps) };
                return;
            }
        }
        _history.Add(record);
    }
}
