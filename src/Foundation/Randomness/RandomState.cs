namespace FedLlm.Foundation.Randomness;

/// <summary>The four 64-bit words of a <see cref="Xoshiro256StarStar"/>; persist them to resume a stream exactly.</summary>
public readonly record struct RandomState(ulong S0, ulong S1, ulong S2, ulong S3)
{
    public void WriteTo(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(S0);
        writer.Write(S1);
        writer.Write(S2);
        writer.Write(S3);
    }

    public static RandomState ReadFrom(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return new RandomState(reader.ReadUInt64(), reader.ReadUInt64(), reader.ReadUInt64(), reader.ReadUInt64());
    }
}
