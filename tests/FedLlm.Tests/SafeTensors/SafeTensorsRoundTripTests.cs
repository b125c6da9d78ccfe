using FedLlm.Models.SafeTensors;
using FedLlm.Tests.Infrastructure;
using TorchSharp;

namespace FedLlm.Tests.SafeTensors;

public class SafeTensorsRoundTripTests
{
    public static TheoryData<torch.ScalarType> TorchScalarTypes() =>
    [
        torch.ScalarType.Bool, torch.ScalarType.Byte, torch.ScalarType.Int8, torch.ScalarType.Int16, torch.ScalarType.Int32,
        torch.ScalarType.Int64, torch.ScalarType.Float16, torch.ScalarType.BFloat16, torch.ScalarType.Float32, torch.ScalarType.Float64,
    ];

    [Theory]
    [MemberData(nameof(TorchScalarTypes))]
    public void EveryTorchDtypeRoundTripsWithValuesShapeAndDtype(torch.ScalarType scalarType)
    {
        using var directory = new TempDirectory();
        using var scope = torch.NewDisposeScope();
        // Values exactly representable in every dtype (bf16 keeps 8 significant bits; bool maps non-zero to true).
        torch.Tensor source = torch.tensor(new double[] { 0, 1, -2, 3, 0.5, -64, 100, 1 }).reshape(2, 4).to(scalarType);
        if (scalarType == torch.ScalarType.Byte) source = source.abs();
        string path = directory.File("all.safetensors");

        SafeTensorsWriter.Write(path, [new("weights", source)]);

        using var file = SafeTensorsFile.Open(path);
        SafeTensorInfo info = file.Tensors["weights"];
        Assert.Equal(SafeTensorDTypes.FromScalarType(scalarType), info.DType);
        Assert.Equal([2L, 4L], info.Shape);
        using torch.Tensor read = file.ReadTensor("weights");
        Assert.Equal(scalarType, read.dtype);
        Assert.Equal(DeviceType.CPU, read.device_type);
        Assert.Equal(source.shape, read.shape);
        TensorAssert.SameDtypeShapeAndBytes(source, read);
    }

    [Fact]
    public void BFloat16BytesAreStoredVerbatim()
    {
        using var directory = new TempDirectory();
        using torch.Tensor source = torch.tensor(new float[] { 1.5f, -2f }).to(torch.bfloat16);
        string path = directory.File("bf16.safetensors");
        SafeTensorsWriter.Write(path, [new("x", source)]);

        using var file = SafeTensorsFile.Open(path);
        var raw = new byte[4];
        file.ReadBytes("x", raw);
        Assert.Equal(new byte[] { 0xC0, 0x3F, 0x00, 0xC0 }, raw); // bf16 1.5 = 0x3FC0, -2 = 0xC000, little-endian
        using torch.Tensor read = file.ReadTensor("x");
        Assert.Equal(new float[] { 1.5f, -2f }, read.to(torch.float32).data<float>().ToArray());
    }

    [Fact]
    public void ScalarAndEmptyTensorsRoundTrip()
    {
        using var directory = new TempDirectory();
        using torch.Tensor scalar = torch.tensor(3.25f);
        using torch.Tensor empty = torch.empty([0, 3], dtype: torch.float16);
        using torch.Tensor alsoEmpty = torch.empty([4, 0], dtype: torch.int64);
        string path = directory.File("edge.safetensors");
        SafeTensorsWriter.Write(path, [new("scalar", scalar), new("empty", empty), new("also_empty", alsoEmpty)]);

        using var file = SafeTensorsFile.Open(path);
        Assert.Empty(file.Tensors["scalar"].Shape);
        Assert.Equal(4, file.Tensors["scalar"].ByteLength);
        Assert.Equal(0, file.Tensors["empty"].ByteLength);
        using torch.Tensor readScalar = file.ReadTensor("scalar");
        Assert.Equal(0, readScalar.Dimensions);
        Assert.Equal(3.25f, readScalar.item<float>());
        using torch.Tensor readEmpty = file.ReadTensor("empty");
        Assert.Equal([0L, 3L], readEmpty.shape);
        Assert.Equal(torch.float16, readEmpty.dtype);
        using torch.Tensor readAlsoEmpty = file.ReadTensor("also_empty");
        Assert.Equal([4L, 0L], readAlsoEmpty.shape);
    }

    [Fact]
    public void MetadataRoundTripsAndIsEmptyWhenAbsent()
    {
        using var directory = new TempDirectory();
        using torch.Tensor x = torch.ones(2);
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["base_model"] = "tiny-llama", ["note"] = "naïve \"quoted\"\n" };
        SafeTensorsWriter.Write(directory.File("with.safetensors"), [new("x", x)], metadata);
        SafeTensorsWriter.Write(directory.File("without.safetensors"), [new("x", x)]);

        using var with = SafeTensorsFile.Open(directory.File("with.safetensors"));
        Assert.Equal(metadata.OrderBy(p => p.Key), with.Metadata.OrderBy(p => p.Key));
        using var without = SafeTensorsFile.Open(directory.File("without.safetensors"));
        Assert.Empty(without.Metadata);
    }

    [Theory]
    [InlineData(SafeTensorDType.UInt16)]
    [InlineData(SafeTensorDType.UInt32)]
    [InlineData(SafeTensorDType.UInt64)]
    [InlineData(SafeTensorDType.Float8E4M3)]
    [InlineData(SafeTensorDType.Float8E5M2)]
    public void DtypesWithoutTorchTypeRoundTripAsRawBytesAndRefuseReadTensor(SafeTensorDType dtype)
    {
        using var directory = new TempDirectory();
        byte[] data = Enumerable.Range(1, 3 * dtype.ElementSize()).Select(i => (byte)i).ToArray();
        string path = directory.File("raw.safetensors");
        SafeTensorsWriter.WriteRaw(path, [new SafeTensorEntry("r", dtype, [3], data)]);

        using var file = SafeTensorsFile.Open(path);
        Assert.Equal(dtype, file.Tensors["r"].DType);
        var read = new byte[data.Length];
        file.ReadBytes("r", read);
        Assert.Equal(data, read);
        var error = Assert.Throws<NotSupportedException>(() => file.ReadTensor("r"));
        Assert.Contains("'r'", error.Message);
        Assert.Contains(dtype.ToHeaderName(), error.Message);
    }

    [Fact]
    public void NonContiguousTensorIsWrittenInRowMajorOrder()
    {
        using var directory = new TempDirectory();
        using torch.Tensor matrix = torch.arange(6, dtype: torch.float32).reshape(2, 3);
        using torch.Tensor transposed = matrix.t();
        Assert.False(transposed.is_contiguous());
        string path = directory.File("t.safetensors");
        SafeTensorsWriter.Write(path, [new("t", transposed)]);

        using var file = SafeTensorsFile.Open(path);
        using torch.Tensor read = file.ReadTensor("t");
        Assert.Equal([3L, 2L], read.shape);
        Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, read.data<float>().ToArray());
    }

    [Fact]
    public void ReadingOneTensorOfSeveralReadsOnlyItsBytesIntoNativeStorage()
    {
        using var directory = new TempDirectory();
        const int Elements = 2 * 1024 * 1024; // 8 MB of float32
        using torch.Tensor before = torch.full(1000, 7f);
        using torch.Tensor large = torch.arange(Elements, dtype: torch.float32);
        using torch.Tensor after = torch.full(1000, -7f);
        string path = directory.File("several.safetensors");
        SafeTensorsWriter.Write(path, [new("a_before", before), new("b_large", large), new("c_after", after)]);

        using var file = SafeTensorsFile.Open(path);
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        using torch.Tensor read = file.ReadTensor("b_large");
        long managedBytesAllocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;

        TensorAssert.SameDtypeShapeAndBytes(large, read);
        // The 8 MB land in the tensor's native storage; a whole-file or whole-tensor managed buffer would show up here.
        Assert.True(managedBytesAllocated < 1024 * 1024, $"reading allocated {managedBytesAllocated} managed bytes");
        using torch.Tensor readAfter = file.ReadTensor("c_after");
        Assert.Equal(-7f, readAfter[999].item<float>());
    }

    [Fact]
    public void TensorStorageBytesOfANarrowedViewStartAtTheViewOffset()
    {
        // TensorStorage relies on this to fill tensors above 1 GiB slice by slice.
        using torch.Tensor values = torch.arange(10, dtype: torch.float32);
        using torch.Tensor slice = values.narrow(0, 3, 4);
        Assert.Equal(16, slice.bytes.Length);
        Assert.Equal(3f, BitConverter.ToSingle(slice.bytes[..4]));
    }

    [Fact]
    public void UnknownTensorNameGivesKeyNotFoundNamingTheFile()
    {
        using var directory = new TempDirectory();
        using torch.Tensor x = torch.ones(1);
        string path = directory.File("one.safetensors");
        SafeTensorsWriter.Write(path, [new("x", x)]);

        using var file = SafeTensorsFile.Open(path);
        var error = Assert.Throws<KeyNotFoundException>(() => file.ReadTensor("missing.weight"));
        Assert.Contains("'missing.weight'", error.Message);
        Assert.Contains(path, error.Message);
        Assert.False(file.Contains("missing.weight"));
    }

    [Fact]
    public void ReadBytesRejectsAWrongSizedDestination()
    {
        using var directory = new TempDirectory();
        using torch.Tensor x = torch.ones(4);
        string path = directory.File("x.safetensors");
        SafeTensorsWriter.Write(path, [new("x", x)]);

        using var file = SafeTensorsFile.Open(path);
        var error = Assert.Throws<ArgumentException>(() => file.ReadBytes("x", new byte[15]));
        Assert.Contains("16 bytes", error.Message);
    }

    [Theory]
    [InlineData(torch.ScalarType.Float32, SafeTensorDType.Float32)]
    [InlineData(torch.ScalarType.Float16, SafeTensorDType.Float16)]
    [InlineData(torch.ScalarType.BFloat16, SafeTensorDType.BFloat16)]
    [InlineData(torch.ScalarType.Float64, SafeTensorDType.Float64)]
    [InlineData(torch.ScalarType.Int64, SafeTensorDType.Int64)]
    [InlineData(torch.ScalarType.Int32, SafeTensorDType.Int32)]
    [InlineData(torch.ScalarType.Int16, SafeTensorDType.Int16)]
    [InlineData(torch.ScalarType.Int8, SafeTensorDType.Int8)]
    [InlineData(torch.ScalarType.Byte, SafeTensorDType.UInt8)]
    [InlineData(torch.ScalarType.Bool, SafeTensorDType.Bool)]
    public void DtypeMappingIsABijectionOnTorchTypes(torch.ScalarType scalarType, SafeTensorDType dtype)
    {
        Assert.Equal(dtype, SafeTensorDTypes.FromScalarType(scalarType));
        Assert.Equal(scalarType, dtype.ToScalarType());
        using torch.Tensor probe = torch.empty(1, dtype: scalarType);
        Assert.Equal(probe.ElementSize, dtype.ElementSize());
    }

    [Fact]
    public void ComplexTensorsAreRejectedByName()
    {
        using var directory = new TempDirectory();
        using torch.Tensor complex = torch.zeros(2, dtype: torch.complex64);
        var error = Assert.Throws<ArgumentException>(() =>
            SafeTensorsWriter.Write(directory.File("c.safetensors"), [new("z", complex)]));
        Assert.Contains("'z'", error.Message);
    }
}
