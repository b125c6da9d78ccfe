using FedLlm.Models.Tokenization;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Tokenization;

public sealed class SentencePieceModelFileTests
{
    [Fact]
    public void WriteThenRead_GivesTheSameModel()
    {
        using var temp = new TempDirectory();
        string path = temp.File("tokenizer.model");
        var written = TinyModels.ByteFallbackModel() with { PadId = 3, AddDummyPrefix = false };
        SentencePieceModelFile.Write(path, written);

        var read = SentencePieceModelFile.Read(path);

        Assert.Equal(written.Pieces, read.Pieces);
        Assert.Equal(written with { Pieces = read.Pieces }, read);
    }

    [Fact]
    public void NegativeIdsAndUnknownFieldsSurvive()
    {
        using var temp = new TempDirectory();
        string path = temp.File("tokenizer.model");
        SentencePieceModelFile.Write(path, TinyModels.ByteFallbackModel() with { BosId = -1, PadId = -1 });
        // Unknown top-level fields of every supported wire type: 99 varint, 100 fixed64, 101 fixed32, 102 bytes.
        byte[] unknown = [0x98, 0x06, 0x96, 0x01, 0xA1, 0x06, 1, 2, 3, 4, 5, 6, 7, 8, 0xAD, 0x06, 1, 2, 3, 4, 0xB2, 0x06, 2, 0xFF, 0xFE];
        File.WriteAllBytes(path, [.. unknown, .. File.ReadAllBytes(path), .. unknown]);

        var read = SentencePieceModelFile.Read(path);

        Assert.Equal(-1, read.BosId);
        Assert.Equal(-1, read.PadId);
        Assert.Equal(TinyModels.ByteFallbackModel().Pieces, read.Pieces);
    }

    [Fact]
    public void TruncatedFile_NamesFileAndOffset()
    {
        using var temp = new TempDirectory();
        string path = temp.File("tokenizer.model");
        SentencePieceModelFile.Write(path, TinyModels.ByteFallbackModel());
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^3]);

        var error = Assert.Throws<InvalidDataException>(() => SentencePieceModelFile.Read(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("byte offset", error.Message);
    }

    [Fact]
    public void GarbageFile_IsRejectedClearly()
    {
        using var temp = new TempDirectory();
        string path = temp.File("tokenizer.model");
        File.WriteAllBytes(path, [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x01]);

        var error = Assert.Throws<InvalidDataException>(() => SentencePieceModelFile.Read(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("byte offset 1", error.Message);
    }

    [Fact]
    public void UnigramModel_IsRefusedNamingTheFile()
    {
        using var temp = new TempDirectory();
        string path = temp.File("tokenizer.model");
        SentencePieceModelFile.Write(path, TinyModels.ByteFallbackModel() with { ModelType = SentencePieceModelType.Unigram });

        var error = Assert.Throws<NotSupportedException>(() => SentencePieceModelFile.Read(path));

        Assert.Contains(path, error.Message);
        Assert.Contains("Unigram", error.Message);
    }

    [Fact]
    public void Loader_ReadsTokenizerModelAndAddBosFlag()
    {
        using var temp = new TempDirectory();
        SentencePieceModelFile.Write(temp.File("tokenizer.model"), TinyModels.ByteFallbackModel());
        Assert.True(TokenizerLoader.Load(temp.Path).AddBosByDefault);

        File.WriteAllText(temp.File("tokenizer_config.json"), """{ "add_bos_token": false, "model_max_length": 2048 }""");
        var tokenizer = TokenizerLoader.Load(temp.Path);

        Assert.False(tokenizer.AddBosByDefault);
        Assert.Equal(TinyModels.SpaceHello, tokenizer.Encode("hello").Single().Id);
    }

    [Fact]
    public void Loader_WithoutTokenizerFiles_SaysWhereItLooked()
    {
        using var temp = new TempDirectory();

        var error = Assert.Throws<FileNotFoundException>(() => TokenizerLoader.Load(temp.Path));

        Assert.Contains(temp.Path, error.Message);
        Assert.Contains("tokenizer.json", error.Message);
        Assert.Contains("tokenizer.model", error.Message);
    }
}
