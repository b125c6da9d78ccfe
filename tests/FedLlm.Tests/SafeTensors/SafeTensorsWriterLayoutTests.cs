using System.Text;
using FedLlm.Models.SafeTensors;
using FedLlm.Tests.Infrastructure;
using TorchSharp;

namespace FedLlm.Tests.SafeTensors;

public class SafeTensorsWriterLayoutTests
{
    // 139 bytes of compact JSON: metadata first, then tensors sorted by name, packed from offset 0.
    private const string ExpectedJson =
        "{\"__metadata__\":{\"format\":\"pt\"}," +
        "\"a\":{\"dtype\":\"U8\",\"shape\":[],\"data_offsets\":[0,1]}," +
        "\"bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[1,9]}}";

    private static byte[] ExpectedFile()
    {
        byte[] lengthPrefix = [0x90, 0, 0, 0, 0, 0, 0, 0]; // 144 = 139 JSON bytes + 5 spaces, a multiple of 8
        byte[] header = Encoding.UTF8.GetBytes(ExpectedJson + "     ");
        byte[] buffer = [7, 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0]; // u8 7, then f32 1.0 and -2.0 little-endian
        return [.. lengthPrefix, .. header, .. buffer];
    }

    [Fact]
    public void RawWriterProducesTheExactSpecBytes()
    {
        Assert.Equal(139, Encoding.UTF8.GetByteCount(ExpectedJson));
        using var directory = new TempDirectory();
        string path = directory.File("exact.safetensors");
        // Given out of order on purpose: the writer sorts by name.
        SafeTensorsWriter.WriteRaw(path,
            [
                new SafeTensorEntry("bias", SafeTensorDType.Float32, [2], new byte[] { 0, 0, 0x80, 0x3F, 0, 0, 0, 0xC0 }),
                new SafeTensorEntry("a", SafeTensorDType.UInt8, [], new byte[] { 7 }),
            ],
            new Dictionary<string, string> { ["format"] = "pt" });

        Assert.Equal(ExpectedFile(), File.ReadAllBytes(path));
    }

    [Fact]
    public void TorchWriterProducesTheSameBytesAsTheRawWriter()
    {
        using var directory = new TempDirectory();
        string path = directory.File("torch.safetensors");
        using torch.Tensor bias = torch.tensor(new float[] { 1f, -2f });
        using torch.Tensor a = torch.tensor((byte)7);
        SafeTensorsWriter.Write(path, [new("bias", bias), new("a", a)], new Dictionary<string, string> { ["format"] = "pt" });

        Assert.Equal(ExpectedFile(), File.ReadAllBytes(path));
    }

    [Fact]
    public void HandBuiltUnpaddedFileIsReadAsTheSpecDescribes()
    {
        using var directory = new TempDirectory();
        // No padding and 2x2 float32 data, as another writer might produce it.
        string path = SafeTensorsTestFiles.Write(directory.File("hand.safetensors"),
            "{\"m\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}",
            [.. BitConverter.GetBytes(1f), .. BitConverter.GetBytes(2f), .. BitConverter.GetBytes(3f), .. BitConverter.GetBytes(4f)]);

        using var file = SafeTensorsFile.Open(path);
        Assert.Equal(8 + 57, file.BufferStart);
        using torch.Tensor m = file.ReadTensor("m");
        Assert.Equal([2L, 2L], m.shape);
        Assert.Equal(new float[] { 1, 2, 3, 4 }, m.data<float>().ToArray());
    }

    [Fact]
    public void HeaderIsAlwaysPaddedToAMultipleOfEight()
    {
        using var directory = new TempDirectory();
        for (int nameLength = 1; nameLength <= 8; nameLength++)
        {
            string path = directory.File($"pad{nameLength}.safetensors");
            SafeTensorsWriter.WriteRaw(path, [new SafeTensorEntry(new string('n', nameLength), SafeTensorDType.Int8, [1], new byte[] { 1 })]);
            using var file = SafeTensorsFile.Open(path);
            Assert.Equal(0, file.BufferStart % 8);
        }
    }

    [Fact]
    public void WriteReplacesAnExistingFileAndLeavesNoTemporaryFiles()
    {
        using var directory = new TempDirectory();
        string path = directory.File("model.safetensors");
        File.WriteAllText(path, "old contents that are not safetensors");
        using torch.Tensor x = torch.ones(3);
        SafeTensorsWriter.Write(path, [new("x", x)]);

        Assert.Equal([path], Directory.GetFiles(directory.Path));
        using var file = SafeTensorsFile.Open(path);
        Assert.True(file.Contains("x"));
    }

    [Fact]
    public void RejectedWriteLeavesTheOldFileUntouched()
    {
        using var directory = new TempDirectory();
        string path = directory.File("model.safetensors");
        byte[] old = [1, 2, 3];
        File.WriteAllBytes(path, old);

        Assert.Throws<ArgumentException>(() => SafeTensorsWriter.WriteRaw(path,
            [new SafeTensorEntry("x", SafeTensorDType.Float32, [2], new byte[7])]));

        Assert.Equal(old, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(directory.Path));
    }

    [Fact]
    public void DuplicateNamesAndTheReservedMetadataNameAreRejected()
    {
        using var directory = new TempDirectory();
        using torch.Tensor x = torch.ones(1);
        var duplicate = Assert.Throws<ArgumentException>(() =>
            SafeTensorsWriter.Write(directory.File("d.safetensors"), [new("w", x), new("w", x)]));
        Assert.Contains("'w' appears twice", duplicate.Message);
        var reserved = Assert.Throws<ArgumentException>(() =>
            SafeTensorsWriter.Write(directory.File("r.safetensors"), [new("__metadata__", x)]));
        Assert.Contains("reserved", reserved.Message);
    }

    [Fact]
    public void RawWriterRejectsDataOfTheWrongSize()
    {
        using var directory = new TempDirectory();
        var error = Assert.Throws<ArgumentException>(() => SafeTensorsWriter.WriteRaw(directory.File("w.safetensors"),
            [new SafeTensorEntry("w", SafeTensorDType.BFloat16, [3, 2], new byte[10])]));
        Assert.Contains("'w' has 10 bytes", error.Message);
        Assert.Contains("needs 12", error.Message);
    }

    [Fact]
    public void NonAsciiTensorNamesAreStoredAsUtf8AndReadBack()
    {
        using var directory = new TempDirectory();
        string path = directory.File("utf8.safetensors");
        SafeTensorsWriter.WriteRaw(path, [new SafeTensorEntry("gewicht.ß.权重", SafeTensorDType.UInt8, [1], new byte[] { 9 })]);

        string headerText = Encoding.UTF8.GetString(File.ReadAllBytes(path));
        Assert.Contains("gewicht.ß.权重", headerText);
        using var file = SafeTensorsFile.Open(path);
        Assert.True(file.Contains("gewicht.ß.权重"));
    }
}
