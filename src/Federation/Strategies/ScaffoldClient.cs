using System.Numerics.Tensors;
using System.Text;

namespace FedLlm.Federation.Strategies;

/// <summary>
/// One client's SCAFFOLD state and math (Karimireddy et al. 2020). c_i starts at 0 and persists across rounds; save it
/// between rounds (one small file per client) so a large federation need not hold every c_i in memory.
/// Per round: <see cref="BeginRound"/> with the server's c → after every optimiser step <see cref="ApplyCorrection"/>
/// → <see cref="Finish"/> returns Δc_i for <see cref="ExchangeKeys.ScaffoldDeltaControl"/>.
/// </summary>
public sealed class ScaffoldClient
{
    private static readonly byte[] Magic = "FLSCAFC1"u8.ToArray();
    private const int FormatVersion = 1;

    private readonly float[] _clientControl;
    private float[]? _correction;

    public ScaffoldClient(int parameterCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(parameterCount);
        _clientControl = new float[parameterCount];
    }

    private ScaffoldClient(float[] clientControl) => _clientControl = clientControl;

    /// <summary>A client whose c_i was kept elsewhere (e.g. a per-client state store); the array is taken over, not copied.</summary>
    public static ScaffoldClient FromControl(float[] clientControl) =>
        new(clientControl ?? throw new ArgumentNullException(nameof(clientControl)));

    public int ParameterCount => _clientControl.Length;

    /// <summary>c_i.</summary>
    public ReadOnlySpan<float> ClientControl => _clientControl;

    /// <summary>c − c_i for the current round (empty before <see cref="BeginRound"/>).</summary>
    public ReadOnlySpan<float> Correction => _correction;

    /// <summary>Fixes the round's correction c − c_i from the server control c (<see cref="RoundPlan.ScaffoldControl"/>).</summary>
    public void BeginRound(ReadOnlySpan<float> serverControl)
    {
        if (serverControl.Length != ParameterCount)
        {
            throw new ArgumentException($"Server control has {serverControl.Length} values; this client's c_i has {ParameterCount}.", nameof(serverControl));
        }
        _correction ??= new float[ParameterCount];
        TensorPrimitives.Subtract(serverControl, _clientControl, _correction);
    }

    /// <summary>
    /// p ← p − lr·(c − c_i), applied after each optimiser step. <paramref name="offset"/> lets the trainer pass one LoRA
    /// tensor at a time: <paramref name="weights"/> then covers positions [offset, offset + weights.Length) of the flat vector.
    /// </summary>
    public void ApplyCorrection(Span<float> weights, double learningRate, int offset = 0)
    {
        float[] correction = _correction ?? throw new InvalidOperationException("Call BeginRound with the server control before applying corrections.");
        if (offset < 0 || offset + weights.Length > correction.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"Slice [{offset}, {offset + weights.Length}) lies outside the {correction.Length} parameters.");
        }
        TensorPrimitives.MultiplyAdd(correction.AsSpan(offset, weights.Length), (float)-learningRate, weights, weights);
    }

    /// <summary>
    /// SCAFFOLD option II: c_i⁺ = c_i − c + (x − y_i)/(K·lr), with x the round's global, y_i the trained vector and
    /// K = <paramref name="stepsRun"/>, the optimiser steps actually taken (the paper's K). OFL passes its configured
    /// max_steps instead, which differs when a client has fewer examples than bs·ga·max_steps; pass that number to
    /// reproduce OFL. Stores c_i⁺ and returns Δc_i = c_i⁺ − c_i.
    /// </summary>
    public float[] Finish(ReadOnlySpan<float> trained, ReadOnlySpan<float> global, int stepsRun, double learningRate)
    {
        float[] correction = _correction ?? throw new InvalidOperationException("Call BeginRound before Finish.");
        if (trained.Length != ParameterCount || global.Length != ParameterCount)
        {
            throw new ArgumentException($"Trained ({trained.Length}) and global ({global.Length}) vectors must both have {ParameterCount} values.");
        }
        if (stepsRun <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(stepsRun), stepsRun, "SCAFFOLD needs at least one local step to estimate the control variate.");
        }
        if (!(learningRate > 0) || double.IsInfinity(learningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "Learning rate must be a finite number > 0.");
        }
        double scale = 1.0 / (stepsRun * learningRate);
        var deltaControl = new float[ParameterCount];
        for (int j = 0; j < ParameterCount; j++)
        {
            float updated = (float)(((double)global[j] - trained[j]) * scale - correction[j]);
            deltaControl[j] = updated - _clientControl[j];
            _clientControl[j] = updated;
        }
        _correction = null;
        return deltaControl;
    }

    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(FormatVersion);
        StateSerialization.WriteVector(writer, _clientControl);
    }

    public static ScaffoldClient Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        try
        {
            if (!reader.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic))
            {
                throw new InvalidDataException("Not a FedLlm SCAFFOLD client state (bad magic header).");
            }
            int version = reader.ReadInt32();
            if (version != FormatVersion)
            {
                throw new InvalidDataException($"Unsupported SCAFFOLD client state version {version}; this build reads version {FormatVersion}.");
            }
            float[] control = StateSerialization.ReadSingleVector(reader, "scaffold.c_i")
                ?? throw new InvalidDataException("SCAFFOLD client state has no c_i vector.");
            return new ScaffoldClient(control);
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException("Truncated SCAFFOLD client state.", ex);
        }
    }
}
