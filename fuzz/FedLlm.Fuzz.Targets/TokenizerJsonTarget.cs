using FedLlm.Tokenization;

namespace FedLlm.Fuzz.Targets;

/// <summary>
/// A model folder holding only tokenizer.json, loaded as a model load does; a tokenizer that loads must then encode
/// and decode a short mixed text (pre-tokenizer patterns from the file run there).
/// Bad input: <see cref="InvalidDataException"/> (malformed or inconsistent) and <see cref="NotSupportedException"/>
/// (a valid file of a kind we do not implement), as <see cref="TokenizerJsonReader"/> documents.
/// </summary>
public sealed class TokenizerJsonTarget : FuzzTarget
{
    private const string SampleText = "Hello, wörld! 12 345 <s>tabs\tand\nnew lines 🙂 ";

    public override string Name => "tokenizer";

    public override bool Run(byte[] input, ScratchDirectory scratch)
    {
        string path = scratch.Write(Path.Combine("tokenizer-model", TokenizerLoader.TokenizerJson), input);
        try
        {
            var tokenizer = TokenizerLoader.Load(Path.GetDirectoryName(path)!);
            var ids = tokenizer.Encode(SampleText).Select(token => token.Id).ToList();
            tokenizer.Decode(ids);
            return true;
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException)
        {
            return false;
        }
    }
}
