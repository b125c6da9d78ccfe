using FedLlm.Tokenization;
using FedLlm.Tests.Infrastructure;
using static FedLlm.Tests.Tokenization.TokenizerTestModels;

namespace FedLlm.Tests.Tokenization;

public class SentencePieceModelFileTests
{
    [Fact]
    public void WriterThenReaderGivesBackTheSameModel()
    {
        var model = HandBuiltSentencePiece(withUserDefined: true);
        model = model with
        {
            TrainerSpec = model.TrainerSpec with { PadId = -1, VocabSize = 1234 },
            NormalizerSpec = model.NormalizerSpec with { Name = "identity", PrecompiledCharsMap = [1, 2, 3], EscapeWhitespaces = false },
        };
        using var directory = new TempDirectory();
        string path = directory.File("tokenizer.model");
        SentencePieceModelFile.Write(path, model);
        var read = SentencePieceModelFile.Read(path);

        Assert.Equal(model.Pieces, read.Pieces);
        Assert.Equal(model.TrainerSpec, read.TrainerSpec);
        Assert.Equal(model.NormalizerSpec with { PrecompiledCharsMap = [] }, read.NormalizerSpec with { PrecompiledCharsMap = [] });
        Assert.Equal(model.NormalizerSpec.PrecompiledCharsMap, read.NormalizerSpec.PrecompiledCharsMap);
    }

    [Fact]
    public void ReadModelEncodesLikeTheOriginal()
    {
        var model = HandBuiltSentencePiece();
        var reread = SentencePieceModelFile.Parse(SentencePieceModelFile.Serialize(model), "memory");
        string text = "hello world, 世界!";
        Assert.Equal(Ids(new SentencePieceTokenizer(model).Encode(text)), Ids(new SentencePieceTokenizer(reread).Encode(text)));
    }

    [Fact]
    public void AbsentFieldsTakeTheProtoDefaults()
    {
        // A ModelProto with one piece and nothing else: proto2 defaults apply.
        var writer = new ProtoWireWriter();
        var piece = new ProtoWireWriter();
        piece.WriteStringField(1, "a");
        writer.WriteMessageField(1, piece);
        var model = SentencePieceModelFile.Parse(writer.ToArray(), "memory");
        Assert.Equal(new SentencePieceEntry("a", 0, SentencePieceType.Normal), model.Pieces.Single());
        Assert.Equal(new SentencePieceTrainerSpec(), model.TrainerSpec);
        Assert.True(model.NormalizerSpec.AddDummyPrefix && model.NormalizerSpec.RemoveExtraWhitespaces && model.NormalizerSpec.EscapeWhitespaces);
        Assert.Equal(SentencePieceModelType.Unigram, model.TrainerSpec.ModelType);
        Assert.Equal(-1, model.TrainerSpec.PadId);
    }

    [Fact]
    public void SkipsUnknownFields()
    {
        var writer = new ProtoWireWriter();
        var piece = new ProtoWireWriter();
        piece.WriteStringField(1, "a");
        piece.WriteFloatField(2, -1.5f);
        writer.WriteStringField(99, "future field");
        writer.WriteMessageField(1, piece);
        writer.WriteInt32Field(77, -5);
        Assert.Equal(new SentencePieceEntry("a", -1.5f), SentencePieceModelFile.Parse(writer.ToArray(), "memory").Pieces.Single());
    }

    [Fact]
    public void TruncatedFileFailsWithPathAndOffset()
    {
        var bytes = SentencePieceModelFile.Serialize(HandBuiltSentencePiece());
        var error = Assert.Throws<InvalidDataException>(() => SentencePieceModelFile.Parse(bytes.AsSpan(0, bytes.Length - 3), "models/x/tokenizer.model"));
        Assert.Contains("models/x/tokenizer.model", error.Message);
        Assert.Contains("at byte", error.Message);
    }

    [Fact]
    public void MissingFileNamesThePath()
    {
        var error = Assert.Throws<FileNotFoundException>(() => SentencePieceModelFile.Read("/nonexistent/tokenizer.model"));
        Assert.Contains("/nonexistent/tokenizer.model", error.Message);
    }
}
