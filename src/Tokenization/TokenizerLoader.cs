namespace FedLlm.Tokenization;

/// <summary>
/// Loads the tokenizer of a model directory: a byte-level tokenizer.json, else a sentencepiece tokenizer.model,
/// else a llama2.c tokenizer.bin. tokenizer_config.json / config.json supply BOS/EOS/PAD and add_bos_token.
/// </summary>
public static class TokenizerLoader
{
    public const string TokenizerJson = "tokenizer.json";
    public const string SentencePieceModelFileName = "tokenizer.model";
    public const string Llama2cTokenizerFileName = "tokenizer.bin";

    public static ITokenizer Load(string modelDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelDirectory);
        if (!Directory.Exists(modelDirectory)) throw new DirectoryNotFoundException($"Model directory not found: {modelDirectory}");
        var config = TokenizerConfig.Read(modelDirectory);
        string jsonPath = Path.Combine(modelDirectory, TokenizerJson);
        string modelPath = Path.Combine(modelDirectory, SentencePieceModelFileName);
        string llama2cPath = Path.Combine(modelDirectory, Llama2cTokenizerFileName);

        // A Llama-2-style directory ships both a SentencePiece-flavoured tokenizer.json and tokenizer.model; prefer the latter there.
        if (File.Exists(jsonPath) && TokenizerJsonReader.ReadFileIfByteLevel(jsonPath, config, required: !File.Exists(modelPath)) is { } definition)
            return new ByteLevelBpeTokenizer(definition);
        if (File.Exists(modelPath)) return CreateSentencePiece(SentencePieceModelFile.Read(modelPath), config, modelPath);
        if (File.Exists(llama2cPath)) return CreateSentencePiece(Llama2cTokenizerReader.Read(llama2cPath), config, llama2cPath);
        throw new FileNotFoundException(
            $"No tokenizer in {modelDirectory}: looked for {TokenizerJson}, {SentencePieceModelFileName} and {Llama2cTokenizerFileName}.");
    }

    /// <summary>A SentencePiece tokenizer whose special ids and add_bos_token follow the directory's config files when given.</summary>
    public static SentencePieceTokenizer CreateSentencePiece(SentencePieceModel model, TokenizerConfig config, string source)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(config);
        int? IdOf(string? token, int? id)
        {
            if (token is not null)
            {
                for (int i = 0; i < model.Pieces.Count; i++) if (model.Pieces[i].Piece == token) return i;
                throw new InvalidDataException($"{source}: special token '{token}' named in tokenizer_config.json is not a piece of the model.");
            }
            return id;
        }
        var trainer = model.TrainerSpec;
        var adjusted = model with
        {
            TrainerSpec = trainer with
            {
                BosId = IdOf(config.BosToken, config.BosTokenId) ?? trainer.BosId,
                EosId = IdOf(config.EosToken, config.EosTokenId) ?? trainer.EosId,
                PadId = IdOf(config.PadToken, config.PadTokenId) ?? trainer.PadId,
                UnkId = IdOf(config.UnkToken, null) ?? trainer.UnkId,
            },
        };
        return new SentencePieceTokenizer(adjusted, config.AddBosToken, source);
    }
}
