using FedLlm.Transport.Protocol;
using FedLlm.Transport.Wire;
using ByteString = Google.Protobuf.ByteString;

namespace FedLlm.Tests.Transport;

/// <summary>A header cannot make the server allocate anything but the vectors it expects, at the adapter's length.</summary>
public class VectorAllowanceTests
{
    private static VectorInfo Info(string name, long length, WireFormat format = WireFormat.Float32) =>
        new() { Name = name, Length = length, Format = format, Sha256 = ByteString.CopyFrom(new byte[32]) };

    private static readonly VectorAllowance Update = new(1000, new HashSet<string> { "weights", "scaffold.delta_c" }, ExactLength: true);

    [Fact]
    public void AHostileHeaderIsRefusedBeforeAnythingIsAllocated()
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        // Several huge vectors in one header: each would have been up to 1 GiB before.
        var error = Assert.Throws<InvalidDataException>(() => new VectorAssembler([Info("weights", 200_000_000), Info("extra", 200_000_000)], Update));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("announces 200000000 values", error.Message);
        Assert.True(allocated < 1 << 20, $"{allocated} bytes allocated for a refused header");
    }

    [Fact]
    public void OnlyExpectedNamesAtTheAdaptersLength()
    {
        Assert.Contains("'extra' is not expected here (expected: scaffold.delta_c, weights)",
            Assert.Throws<InvalidDataException>(() => new VectorAssembler([Info("extra", 1000)], Update)).Message);
        Assert.Contains("the adapter has 1000",
            Assert.Throws<InvalidDataException>(() => new VectorAssembler([Info("weights", 999)], Update)).Message);
        Assert.Contains("where none is expected",
            Assert.Throws<InvalidDataException>(() => new VectorAssembler([Info("weights", 1000)], VectorAllowance.None)).Message);
        // A ciphertext counts bytes: at most 8 per value of the adapter.
        var encrypted = new VectorAllowance(1000, new HashSet<string> { "ciphertext" }, ExactLength: true);
        _ = new VectorAssembler([Info("ciphertext", 8000, WireFormat.Opaque)], encrypted);
        Assert.Throws<InvalidDataException>(() => new VectorAssembler([Info("ciphertext", 8001, WireFormat.Opaque)], encrypted));
        _ = new VectorAssembler([Info("weights", 1000), Info("scaffold.delta_c", 1000)], Update);
    }

    /// <summary>Found by fuzzing: proto3 keeps an enum number it does not know, which escaped as an ArgumentException.</summary>
    [Fact]
    public void AnUnknownWireFormatIsRefusedAsMalformed()
    {
        var error = Assert.Throws<InvalidDataException>(() => new VectorAssembler([Info("weights", 1000, (WireFormat)10)], Update));
        Assert.Contains("unknown wire format 10", error.Message);
    }
}
