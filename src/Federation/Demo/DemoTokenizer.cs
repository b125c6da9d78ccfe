using FedLlm.Models.Tokenization;

namespace FedLlm.Federation.Demo;

/// <summary>
/// A small SentencePiece-BPE vocabulary for the demo: every character of the demo alphabet, byte fallback for anything
/// else, ChatML markers, and whole-word pieces (with every prefix, so BPE merges can reach them) for the demo's words.
/// </summary>
public static class DemoTokenizer
{
    public const int EndOfTurnId = 4;

    public static SentencePieceModel Build(IEnumerable<string> corpus)
    {
        var pieces = new List<SentencePiece>
        {
            new("<unk>", 0, PieceType.Unknown),
            new("<s>", 0, PieceType.Control),
            new("</s>", 0, PieceType.Control),
            new("<|im_start|>", 0, PieceType.UserDefined),
            new("<|im_end|>", 0, PieceType.Control),
        };
        for (int b = 0; b < 256; b++) pieces.Add(new SentencePiece($"<0x{b:X2}>", 0, PieceType.Byte));

        var texts = corpus.ToList();
        var seen = new HashSet<string>(pieces.Select(p => p.Piece));
        void Add(string piece, float score)
        {
            if (seen.Add(piece)) pieces.Add(new SentencePiece(piece, score, PieceType.Normal));
        }

        Add("▁", -1);
        foreach (char c in texts.SelectMany(t => t).Where(c => c != ' ').Distinct().Order()) Add(c.ToString(), -1);
        // Whole words with their prefixes; longer prefixes score higher so merging continues to the full word.
        var words = texts.SelectMany(t => t.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries)).Distinct().Order(StringComparer.Ordinal);
        foreach (string word in words)
        {
            string spaced = "▁" + word;
            for (int length = 2; length <= spaced.Length; length++) Add(spaced[..length], length);
            for (int length = 2; length <= word.Length; length++) Add(word[..length], length - 0.5f);
        }
        return new SentencePieceModel
        {
            Pieces = pieces,
            AddDummyPrefix = false,
            ByteFallback = true,
            UnkId = 0,
            BosId = 1,
            EosId = EndOfTurnId,
            PadId = 2,
        };
    }
}
