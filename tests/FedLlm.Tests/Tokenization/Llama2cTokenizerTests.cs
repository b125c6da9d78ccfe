using System.Text;
using FedLlm.Tokenization;
using FedLlm.Tests.Infrastructure;
using static FedLlm.Tests.Tokenization.TokenizerTestModels;

namespace FedLlm.Tests.Tokenization;

public class Llama2cTokenizerTests
{
    private static string TokBin => SharedData.PathOf("models/stories260K/tok512.bin");

    [SharedDataFact]
    public void ReadsTok512AsSentencePieceBpe()
    {
        var model = Llama2cTokenizerReader.Read(TokBin);
        Assert.Equal(512, model.Pieces.Count);
        Assert.Equal(new SentencePieceEntry("<unk>", 0, SentencePieceType.Unknown), model.Pieces[0]);
        Assert.Equal(new SentencePieceEntry("<s>", 0, SentencePieceType.Control), model.Pieces[1]);
        Assert.Equal(new SentencePieceEntry("</s>", 0, SentencePieceType.Control), model.Pieces[2]);
        Assert.Equal(new SentencePieceEntry("<0x0A>", 0, SentencePieceType.Byte), model.Pieces[3 + 0x0A]);
        Assert.Equal("▁t", model.Pieces[259].Piece); // stored as " t" by llama2.c's export
        Assert.Equal(SentencePieceModelType.Bpe, model.TrainerSpec.ModelType);
        Assert.True(model.TrainerSpec.ByteFallback);
    }

    [SharedDataTheory]
    [InlineData("Once upon a time")]
    [InlineData("Once upon a time, there was a little girl named Lily. She loved to play outside in the park.")]
    [InlineData("Lily's mom said, \"Lily, let's go to the park.\"\nThe end.")]
    [InlineData("  two  spaces, ümlaut, 中文 and 😀")]
    public void EncodesExactlyLikeLlama2cEncode(string text)
    {
        var tokenizer = new SentencePieceTokenizer(Llama2cTokenizerReader.Read(TokBin));
        Assert.Equal(ReferenceLlama2cEncode(File.ReadAllBytes(TokBin), text), Ids(tokenizer.Encode(text, parseSpecialTokens: false)));
    }

    [SharedDataFact]
    public void KnownPromptGivesKnownIdsAndDecodesBack()
    {
        var tokenizer = TokenizerLoaderFor(TokBin);
        var ids = Ids(tokenizer.Encode("Once upon a time"));
        Assert.Equal(ReferenceLlama2cEncode(File.ReadAllBytes(TokBin), "Once upon a time"), ids);
        Assert.Equal(new[] { "▁Once", "▁upon", "▁a", "▁time" }, ids.Select(tokenizer.IdToToken));
        Assert.Equal("Once upon a time", tokenizer.Decode(new[] { 1 }.Concat(ids), skipSpecialTokens: true));
        Assert.True(tokenizer.AddBosByDefault);
    }

    [SharedDataFact]
    public void SharedDatasetsRoundTripExactlyWithMonotoneCoveringOffsets()
    {
        var tokenizer = new SentencePieceTokenizer(Llama2cTokenizerReader.Read(TokBin));
        foreach (string text in SharedTexts.All())
        {
            var tokens = tokenizer.Encode(text, parseSpecialTokens: false);
            Assert.Equal(text, tokenizer.Decode(Ids(tokens)));
            AssertOffsetsWellFormed(text, tokens);
        }
    }

    [SharedDataFact]
    public void StreamingDecodeOfSharedTextsMatchesFullDecode()
    {
        var tokenizer = new SentencePieceTokenizer(Llama2cTokenizerReader.Read(TokBin));
        foreach (string text in SharedTexts.JsonStrings("data/dpo/dpo_en_demo.json").Take(200))
            AssertStreamingMatchesDecode(tokenizer, Ids(tokenizer.Encode(text)));
    }

    private static SentencePieceTokenizer TokenizerLoaderFor(string tokBin)
    {
        using var directory = new TempDirectory();
        File.Copy(tokBin, directory.File("tokenizer.bin"));
        return Assert.IsType<SentencePieceTokenizer>(TokenizerLoader.Load(directory.Path));
    }

    /// <summary>
    /// A direct transcription of llama2.c's encode() over the raw .bin: dummy prefix " ", one token per UTF-8 code point
    /// (unknown ones as byte + 3), then repeatedly merge the pair whose concatenated string is in the vocab with the best
    /// score (strictly greater, so the leftmost wins ties) until none is left.
    /// </summary>
    private static int[] ReferenceLlama2cEncode(byte[] file, string text)
    {
        var vocab = new List<string>();
        var scores = new List<float>();
        for (int position = 4; position < file.Length;)
        {
            scores.Add(BitConverter.ToSingle(file, position));
            int length = BitConverter.ToInt32(file, position + 4);
            vocab.Add(Encoding.UTF8.GetString(file, position + 8, length));
            position += 8 + length;
        }
        int Lookup(string s) => vocab.IndexOf(s);

        var tokens = new List<int>();
        if (text.Length > 0) tokens.Add(Lookup(" "));
        for (int i = 0; i < text.Length; i += char.IsSurrogatePair(text, i) ? 2 : 1)
        {
            string codePoint = text.Substring(i, char.IsSurrogatePair(text, i) ? 2 : 1);
            int id = Lookup(codePoint);
            if (id >= 0) tokens.Add(id);
            else foreach (byte b in Encoding.UTF8.GetBytes(codePoint)) tokens.Add(b + 3);
        }
        while (true)
        {
            float bestScore = -1e10f;
            int bestId = -1, bestIndex = -1;
            for (int i = 0; i + 1 < tokens.Count; i++)
            {
                int id = Lookup(vocab[tokens[i]] + vocab[tokens[i + 1]]);
                if (id >= 0 && scores[id] > bestScore)
                {
                    bestScore = scores[id];
                    bestId = id;
                    bestIndex = i;
                }
            }
            if (bestIndex < 0) break;
            tokens[bestIndex] = bestId;
            tokens.RemoveAt(bestIndex + 1);
        }
        return [.. tokens];
    }
}
