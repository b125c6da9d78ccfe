using System.Text;
using FedLlm.Models.SafeTensors;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.SafeTensors;

/// <summary>Each malformed file fails on open with a one-line message naming the file, the tensor and the problem.</summary>
public class SafeTensorsValidationTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static string Entry(string name, string dtype, string shape, long begin, long end) =>
        $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":{shape},\"data_offsets\":[{begin},{end}]}}";

    private SafeTensorsFormatException OpenFails(byte[] fileBytes, string? tensor, params string[] messageParts)
    {
        string path = _directory.File("bad.safetensors");
        File.WriteAllBytes(path, fileBytes);
        var error = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Open(path));
        Assert.Equal(path, error.FilePath);
        Assert.Equal(tensor, error.TensorName);
        Assert.Contains(path, error.Message);
        if (tensor is not null) Assert.Contains($"'{tensor}'", error.Message);
        foreach (string part in messageParts) Assert.Contains(part, error.Message);
        Assert.DoesNotContain('\n', error.Message);
        return error;
    }

    private SafeTensorsFormatException OpenFails(string headerJson, byte[] buffer, string? tensor, params string[] messageParts) =>
        OpenFails(SafeTensorsTestFiles.Build(headerJson, buffer), tensor, messageParts);

    [Fact]
    public void FileShorterThanTheLengthPrefix() =>
        OpenFails(new byte[5], null, "5 bytes", "8-byte header length prefix");

    [Fact]
    public void HeaderLengthBeyondTheFile() =>
        OpenFails(SafeTensorsTestFiles.Build(Encoding.UTF8.GetBytes("{}"), [], declaredHeaderLength: 1000), null,
            "header length 1000 runs past the end of the 10-byte file");

    [Fact]
    public void HugeHeaderLengthDoesNotOverflow() =>
        OpenFails(SafeTensorsTestFiles.Build(Encoding.UTF8.GetBytes("{}"), [], declaredHeaderLength: ulong.MaxValue), null,
            "runs past the end");

    [Fact]
    public void InvalidUtf8InTheHeader() =>
        OpenFails(SafeTensorsTestFiles.Build([.. "{\"a"u8, 0xFF, .. "\":{}}"u8], []), null, "not valid UTF-8", "header offset 3");

    [Fact]
    public void InvalidJson() => OpenFails("{\"a\":{\"dtype\":\"F32\",}", [], null, "not valid JSON", "trailing comma");

    [Fact]
    public void HeaderNotStartingWithBrace() => OpenFails(" {}", [], null, "does not start with '{'");

    [Fact]
    public void HeaderThatIsNotAnObjectIsCaughtByTheStartCheck() => OpenFails("[1,2]", [], null, "does not start with '{'");

    [Fact]
    public void UnknownDtype() => OpenFails("{" + Entry("w", "F12", "[1]", 0, 2) + "}", new byte[2], "w", "unknown dtype 'F12'");

    [Fact]
    public void LowercaseDtypeIsUnknown() => OpenFails("{" + Entry("w", "f32", "[1]", 0, 4) + "}", new byte[4], "w", "unknown dtype 'f32'");

    [Fact]
    public void NegativeShape() => OpenFails("{" + Entry("w", "F32", "[2,-3]", 0, 4) + "}", new byte[4], "w", "shape[1] is negative (-3)");

    [Fact]
    public void FractionalShape() => OpenFails("{" + Entry("w", "F32", "[1.5]", 0, 4) + "}", new byte[4], "w", "shape[0] must be an integer");

    [Fact]
    public void MissingDataOffsets() =>
        OpenFails("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", new byte[4], "w", "no 'data_offsets'");

    [Fact]
    public void EndBeforeBegin() => OpenFails("{" + Entry("w", "F32", "[1]", 4, 0) + "}", new byte[4], "w", "end 0 is before begin 4");

    [Fact]
    public void NegativeOffset() => OpenFails("{" + Entry("w", "F32", "[1]", -4, 0) + "}", new byte[4], "w", "non-negative integer");

    [Fact]
    public void OffsetsOutOfRange() =>
        OpenFails("{" + Entry("w", "F32", "[4]", 0, 16) + "}", new byte[8], "w", "[0, 16]", "past the end of the 8-byte data buffer");

    [Fact]
    public void ByteSizeDoesNotMatchShape() =>
        OpenFails("{" + Entry("w", "BF16", "[3]", 0, 8) + "}", new byte[8], "w", "span 8 bytes", "of BF16 needs 6");

    [Fact]
    public void ShapeWhoseByteSizeOverflows() =>
        OpenFails("{" + Entry("w", "F64", "[4294967296,4294967296]", 0, 8) + "}", new byte[8], "w", "too many elements");

    [Fact]
    public void HoleBetweenTensors() =>
        OpenFails("{" + Entry("a", "U8", "[2]", 0, 2) + "," + Entry("b", "U8", "[2]", 3, 5) + "}", new byte[5], "b",
            "bytes 2..3", "tensor 'a'", "hole");

    [Fact]
    public void HoleAtTheStartOfTheBuffer() =>
        OpenFails("{" + Entry("a", "U8", "[2]", 1, 3) + "}", new byte[3], "a", "bytes 0..1", "start of the data buffer");

    [Fact]
    public void OverlappingTensors() =>
        OpenFails("{" + Entry("a", "U8", "[4]", 0, 4) + "," + Entry("b", "U8", "[2]", 2, 4) + "}", new byte[4], "b",
            "overlap tensor 'a'");

    [Fact]
    public void TrailingBytesNotCoveredByAnyTensor() =>
        OpenFails("{" + Entry("a", "U8", "[2]", 0, 2) + "}", new byte[6], null, "has 6 bytes", "cover only 2", "file length");

    [Fact]
    public void DuplicateTensorName() =>
        OpenFails("{" + Entry("a", "U8", "[1]", 0, 1) + "," + Entry("a", "U8", "[1]", 1, 2) + "}", new byte[2], "a", "twice");

    [Fact]
    public void NonStringMetadataValue() =>
        OpenFails("{\"__metadata__\":{\"epoch\":3}," + Entry("a", "U8", "[1]", 0, 1) + "}", new byte[1], null,
            "'__metadata__' value for key 'epoch' must be a string");

    [Fact]
    public void TensorEntryThatIsNotAnObject() => OpenFails("{\"a\":[0,1]}", [], "a", "must be an object");

    [Fact]
    public void ValidEdgeCasesAreAccepted()
    {
        // Trailing padding spaces, an empty tensor sharing its offset with a neighbour, extra fields ignored, empty header.
        string header = "{" + Entry("e", "F32", "[0,7]", 0, 0) + "," +
                        "\"s\":{\"dtype\":\"I16\",\"shape\":[],\"data_offsets\":[0,2],\"comment\":\"extra\"}}      ";
        string path = SafeTensorsTestFiles.Write(_directory.File("edge.safetensors"), header, [1, 0]);
        using (var file = SafeTensorsFile.Open(path))
        {
            Assert.Equal(0, file.Tensors["e"].ByteLength);
            Assert.Equal(2, file.Tensors["s"].ByteLength);
        }

        string emptyPath = SafeTensorsTestFiles.Write(_directory.File("empty.safetensors"), "{}", []);
        using var empty = SafeTensorsFile.Open(emptyPath);
        Assert.Empty(empty.Tensors);
    }

    [Fact]
    public void MissingFileIsFileNotFound() =>
        Assert.Throws<FileNotFoundException>(() => SafeTensorsFile.Open(_directory.File("absent.safetensors")));
}
