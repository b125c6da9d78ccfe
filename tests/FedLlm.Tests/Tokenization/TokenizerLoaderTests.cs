using FedLlm.Tokenization;
using FedLlm.Tests.Infrastructure;
using static FedLlm.Tests.Tokenization.TokenizerTestModels;

namespace FedLlm.Tests.Tokenization;

public class TokenizerLoaderTests
{
    [Fact]
    public void MissingTokenizerNamesTheDirectoryAndTheFilesLookedFor()
    {
        using var directory = new TempDirectory();
        var error = Assert.Throws<FileNotFoundException>(() => TokenizerLoader.Load(directory.Path));
        Assert.Contains(directory.Path, error.Message);
        Assert.Contains("tokenizer.json", error.Message);
        Assert.Contains("tokenizer.model", error.Message);
        Assert.Contains("tokenizer.bin", error.Message);
        Assert.Throws<DirectoryNotFoundException>(() => TokenizerLoader.Load(Path.Combine(directory.Path, "absent")));
    }

    [Fact]
    public void LoadsTokenizerJsonWithConfigFiles()
    {
        using var directory = new TempDirectory();
        File.WriteAllText(directory.File("tokenizer.json"), ByteLevelBpeTrainer.Train(["hello hello world"], 270, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]));
        File.WriteAllText(directory.File("tokenizer_config.json"), """{"add_bos_token": false, "bos_token": null, "eos_token": {"content": "<|im_end|>"}, "pad_token": "<|endoftext|>"}""");
        File.WriteAllText(directory.File("config.json"), """{"bos_token_id": 0, "eos_token_id": [2, 0]}""");
        var tokenizer = TokenizerLoader.Load(directory.Path);
        Assert.IsType<ByteLevelBpeTokenizer>(tokenizer);
        Assert.Equal((0, 2, 0), (tokenizer.BosId!.Value, tokenizer.EosId!.Value, tokenizer.PadId!.Value));
        Assert.False(tokenizer.AddBosByDefault);
    }

    [Fact]
    public void LoadsTokenizerModelAndHonoursAddBosToken()
    {
        using var directory = new TempDirectory();
        SentencePieceModelFile.Write(directory.File("tokenizer.model"), HandBuiltSentencePiece());
        // A Llama-2 directory also has a SentencePiece-flavoured tokenizer.json: tokenizer.model must win.
        File.WriteAllText(directory.File("tokenizer.json"), """{"pre_tokenizer": {"type": "Metaspace"}, "model": {"type": "BPE", "vocab": {}, "merges": []}}""");
        File.WriteAllText(directory.File("tokenizer_config.json"), """{"add_bos_token": false, "pad_token": "</s>"}""");
        var tokenizer = TokenizerLoader.Load(directory.Path);
        Assert.IsType<SentencePieceTokenizer>(tokenizer);
        Assert.False(tokenizer.AddBosByDefault);
        Assert.Equal(2, tokenizer.PadId);
        Assert.Equal(new[] { NormalId("▁hello") }, Ids(tokenizer.Encode("hello")));
    }

    [Fact]
    public void MalformedTokenizerJsonNamesThePath()
    {
        using var directory = new TempDirectory();
        File.WriteAllText(directory.File("tokenizer.json"), "{ \"model\": [1, 2");
        var error = Assert.Throws<InvalidDataException>(() => TokenizerLoader.Load(directory.Path));
        Assert.Contains(directory.File("tokenizer.json"), error.Message);
        Assert.Contains("malformed JSON", error.Message);
    }

    [Fact]
    public void MalformedConfigNamesThePathAndField()
    {
        using var directory = new TempDirectory();
        File.WriteAllText(directory.File("tokenizer.json"), ByteLevelBpeTrainer.Train(["a"], 256, []));
        File.WriteAllText(directory.File("tokenizer_config.json"), """{"eos_token": 5}""");
        var error = Assert.Throws<InvalidDataException>(() => TokenizerLoader.Load(directory.Path));
        Assert.Contains("tokenizer_config.json", error.Message);
        Assert.Contains("eos_token", error.Message);
    }

    [Fact]
    public void UnsupportedModelTypeIsReported()
    {
        using var directory = new TempDirectory();
        File.WriteAllText(directory.File("tokenizer.json"), """{"model": {"type": "WordPiece", "vocab": {}}, "decoder": {"type": "ByteLevel"}}""");
        var error = Assert.Throws<NotSupportedException>(() => TokenizerLoader.Load(directory.Path));
        Assert.Contains("WordPiece", error.Message);
    }
}
