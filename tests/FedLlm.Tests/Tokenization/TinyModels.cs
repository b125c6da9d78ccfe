using FedLlm.Models.Tokenization;

namespace FedLlm.Tests.Tokenization;

/// <summary>A hand-built SentencePiece BPE vocabulary small enough to work out expected tokens by hand.</summary>
internal static class TinyModels
{
    public const int Space = 259, H = 260, E = 261, L = 262, O = 263, W = 264, R = 265, D = 266, World1 = 267, World2 = 268;
    public const int He = 269, Ll = 270, SpaceHe = 271, Llo = 272, SpaceHello = 273, Wo = 274, Shijie = 275, SpaceW = 276, Oo = 277;

    /// <summary>The id of byte-fallback piece &lt;0xXX&gt;.</summary>
    public static int ByteId(int value) => 3 + value;

    public static SentencePieceModel ByteFallbackModel()
    {
        var pieces = new List<SentencePiece>
        {
            new("<unk>", 0, PieceType.Unknown),
            new("<s>", 0, PieceType.Control),
            new("</s>", 0, PieceType.Control),
        };
        for (int b = 0; b < 256; b++) pieces.Add(new SentencePiece($"<0x{b:X2}>", 0, PieceType.Byte));
        foreach (string single in new[] { "▁", "h", "e", "l", "o", "w", "r", "d", "世", "界" }) pieces.Add(new SentencePiece(single, -100));
        pieces.Add(new("he", -1));
        pieces.Add(new("ll", -2));
        pieces.Add(new("▁he", -3));
        pieces.Add(new("llo", -4));
        pieces.Add(new("▁hello", -5));
        pieces.Add(new("wo", -6));
        pieces.Add(new("世界", -7));
        pieces.Add(new("▁w", -8));
        pieces.Add(new("oo", -9));
        return new SentencePieceModel(pieces) { ByteFallback = true, UnkId = 0, BosId = 1, EosId = 2, PadId = -1 };
    }
}
