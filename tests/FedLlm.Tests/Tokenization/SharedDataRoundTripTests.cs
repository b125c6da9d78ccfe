using System.Diagnostics;
using FedLlm.Tokenization;
using FedLlm.Tests.Infrastructure;
using Xunit.Abstractions;
using static FedLlm.Tests.Tokenization.TokenizerTestModels;

namespace FedLlm.Tests.Tokenization;

public class SharedDataRoundTripTests(ITestOutputHelper output)
{
    [SharedDataFact]
    public void TrainedByteLevelTokenizerRoundTripsAllSharedTexts()
    {
        var texts = SharedTexts.All();
        // Train on the wiki corpus only, so the other datasets contain unseen words.
        string json = ByteLevelBpeTrainer.Train(SharedTexts.Lines("data/corpus/wiki_demo.txt"), 2048, ["<s>", "</s>"]);
        var tokenizer = new ByteLevelBpeTokenizer(TokenizerJsonReader.Parse(json, "trained"));
        foreach (string text in texts)
        {
            var tokens = tokenizer.Encode(text);
            Assert.Equal(text, tokenizer.Decode(Ids(tokens)));
            AssertOffsetsWellFormed(text, tokens);
        }
        foreach (string text in texts.Take(300)) AssertStreamingMatchesDecode(tokenizer, Ids(tokenizer.Encode(text)));
    }

    [SharedDataFact]
    public void ReportsEncodingThroughputOnAlpaca()
    {
        var texts = SharedTexts.JsonStrings("data/alpaca/alpaca_en_demo.json");
        long chars = texts.Sum(t => (long)t.Length);
        var sentencePiece = new SentencePieceTokenizer(Llama2cTokenizerReader.Read(SharedData.PathOf("models/stories260K/tok512.bin")));
        var byteLevel = new ByteLevelBpeTokenizer(TokenizerJsonReader.Parse(
            ByteLevelBpeTrainer.Train(SharedTexts.Lines("data/corpus/wiki_demo.txt"), 4096, ["<s>", "</s>"]), "trained"));
        foreach (var (name, tokenizer) in new (string, ITokenizer)[] { ("SentencePiece tok512 (cold cache)", sentencePiece), ("SentencePiece tok512 (warm cache)", sentencePiece), ("byte-level BPE 4096 (cold cache)", byteLevel), ("byte-level BPE 4096 (warm cache)", byteLevel) })
        {
            var watch = Stopwatch.StartNew();
            long tokens = texts.Sum(t => (long)tokenizer.Encode(t).Count);
            watch.Stop();
            Assert.True(tokens > 0);
            output.WriteLine($"{name}: {chars:N0} chars → {tokens:N0} tokens in {watch.Elapsed.TotalMilliseconds:N0} ms ({chars / 1e6 / watch.Elapsed.TotalSeconds:N2} M chars/s)");
        }
    }
}
