using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FedLlm.Data.Loading;
using FedLlm.Data.Model;
using FedLlm.Federation.Configuration;
using FedLlm.Federation.Runs;
using FedLlm.Foundation.Storage;
using FedLlm.Generation;
using FedLlm.Synthesis.FedGc;
using FedLlm.Synthesis.Inputs;
using FedLlm.Synthesis.Output;
using FedLlm.Synthesis.Parsing;
using FedLlm.Synthesis.Pipelines;
using FedLlm.Synthesis.Retrieval;
using FedLlm.Synthesis.U2s;
using Microsoft.Extensions.AI;

namespace FedLlm.Federation.Synthesis;

/// <summary>
/// The clients' data stage before round 1 (<c>u2s:</c> or <c>fedgc:</c> in the run config), the same code in a
/// simulation (every client, in this process) and on a deployed member (its own records, on its machine): FedIT-U2S
/// replaces a client's training records by instruction pairs written from their text; FedGC adds generated rows to
/// them. Held-out records are never touched, so evaluation stays on real data. Each client's generated rows are kept in
/// <c>client-ID.jsonl</c> (tagged with their origin) beside a <c>client-ID.json</c> summary, and reused while the stage's
/// settings and the client's records are unchanged (a resumed run, a member that rejoins) instead of generated again.
/// </summary>
public static class ClientSynthesis
{
    public static bool Enabled(RunConfig config) => config.U2s.Enabled || config.Fedgc.Enabled;

    /// <summary>Every simulated client's records after the stage; the files go to the run folder's <c>synthetic/</c>.</summary>
    public static async Task<RunData> PrepareAsync(RunConfig config, RunData data, RunDirectory run, IRunObserver? observer,
        CancellationToken cancellation = default)
    {
        if (!Enabled(config)) return data;
        using var stage = new Stage(config, run.File("synthetic"), text => observer?.Message(text));
        var clients = new List<ClientRecords>(data.Clients.Count);
        foreach (var client in data.Clients) clients.Add(await stage.PrepareAsync(client, cancellation));
        return data with { Clients = clients };
    }

    /// <summary>A deployed member's own records after the stage; the files go to its state folder.</summary>
    public static ClientRecords PrepareParty(RunConfig config, ClientRecords party, string stateDirectory, Action<string> log)
    {
        if (!Enabled(config)) return party;
        using var stage = new Stage(config, Path.Combine(stateDirectory, "synthetic"), log);
        return stage.PrepareAsync(party, CancellationToken.None).GetAwaiter().GetResult();
    }

    /// <summary>The generator (created on first need: reused files need none), the pool, and one client at a time.</summary>
    private sealed class Stage(RunConfig config, string folder, Action<string> log) : IDisposable
    {
        private readonly bool _u2s = config.U2s.Enabled;
        private IChatClient? _generator;
        private IReadOnlyList<InstructionPair>? _pool;

        private string Method => _u2s ? U2sSynthesizer.Origin : FedGcAugmenter.Origin;

        public async Task<ClientRecords> PrepareAsync(ClientRecords client, CancellationToken cancellation)
        {
            string rowsFile = Path.Combine(folder, $"client-{client.ClientId}.jsonl");
            string summaryFile = Path.ChangeExtension(rowsFile, ".json");
            string fingerprint = Fingerprint(client);
            IReadOnlyList<Example> generated;
            if (Reusable(summaryFile, rowsFile, fingerprint))
            {
                generated = DatasetLoader.Load<Example>(rowsFile).Examples;
                log($"{Method}: client {client.ClientId} ({client.Name}) reuses its {generated.Count} generated rows from {rowsFile}");
            }
            else
            {
                var result = await SynthesizeAsync(client, cancellation);
                Directory.CreateDirectory(folder);
                SyntheticDatasetWriter.Write(rowsFile, result.Rows.Select(r => r with { ClientId = client.Name }));
                var summary = new JsonObject
                {
                    ["method"] = Method, ["client"] = client.ClientId, ["name"] = client.Name, ["fingerprint"] = fingerprint,
                    ["real_rows"] = _u2s ? 0 : client.Train.Count, ["generated_rows"] = result.Rows.Count, ["tally"] = result.Tally.ToJson(),
                };
                AtomicFile.Write(summaryFile, Encoding.UTF8.GetBytes(summary.ToJsonString(new JsonSerializerOptions { WriteIndented = true })));
                generated = [.. result.Rows.Select(r => ToExample(r, client.Name))];
                log($"{Method}: client {client.ClientId} ({client.Name}): {result.Tally}");
            }
            // U2S replaces the raw text by what it wrote; FedGC mixes its rows with the real ones.
            var train = _u2s ? generated : [.. client.Train, .. generated];
            if (train.Count == 0) throw new SynthesisException($"{Method}: client {client.ClientId} ({client.Name}) has no training records after the stage");
            return client with { Train = train };
        }

        private async Task<SynthesisResult> SynthesizeAsync(ClientRecords client, CancellationToken cancellation)
        {
            var generator = _generator ??= Generators.Create(_u2s ? config.U2s.Generator : config.Fedgc.Generator, Method + ".generator.");
            long[] coordinates = [client.ClientId];
            if (_u2s)
            {
                _pool ??= SynthesisInputs.LoadPairs(config.U2s.Pool!, "u2s.pool");
                var corpus = client.Train.Select((e, i) => new SourceText(SynthesisInputs.TextOf(e), e.Metadata.Source ?? $"client {client.ClientId} record {i}")).ToList();
                var embedder = Generators.Embedder(generator) is { } model ? new EmbeddingGeneratorEmbedder(model) : null;
                var synthesizer = new U2sSynthesizer(generator, config.U2s, Generators.TokenCounter(generator, config.U2s.Generator) ?? U2sSynthesizer.CountWords, embedder);
                try
                {
                    return await synthesizer.RunAsync(corpus, _pool, config.Seed, coordinates, cancellation);
                }
                catch (SynthesisException e)
                {
                    throw new SynthesisException($"client {client.ClientId} ({client.Name}): {e.Message}", e);
                }
            }
            var real = client.Train.OfType<InstructionExample>().Where(e => e.HasResponse)
                .Select(e => new LabelledPair(new InstructionPair(e.Conversation.Turns[^2].Content, e.Conversation.FinalResponse!),
                    e.Metadata.Category ?? FedGcAugmenter.Uncategorised))
                .ToList();
            return await new FedGcAugmenter(generator, config.Fedgc).AugmentAsync(real, client.Name, config.Seed, coordinates, cancellation);
        }

        /// <summary>Same stage settings, seed, client and records as when the files were written: the rows are still right.</summary>
        private static bool Reusable(string summaryFile, string rowsFile, string fingerprint)
        {
            if (!File.Exists(summaryFile) || !File.Exists(rowsFile)) return false;
            try
            {
                return JsonNode.Parse(File.ReadAllText(summaryFile))?["fingerprint"]?.GetValue<string>() == fingerprint;
            }
            catch (JsonException)
            {
                return false;
            }
        }

        private string Fingerprint(ClientRecords client)
        {
            var json = RunConfigJson.ToJson(config);
            var generator = _u2s ? config.U2s.Generator : config.Fedgc.Generator;
            var identity = new StringBuilder()
                .Append(json[_u2s ? "u2s" : "fedgc"]!.ToJsonString()).Append('\n')
                // A retrained adapter in the same folder writes other rows: its weights are part of the identity.
                .Append(AdapterIdentity(generator)).Append('\n')
                .Append(config.Seed).Append('\n').Append(client.ClientId).Append('\n');
            foreach (var example in client.Train) identity.Append(SynthesisInputs.TextOf(example)).Append('\u0001').Append(example.Metadata.Category).Append('\u0002');
            return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity.ToString())));
        }

        /// <summary>The in-process adapter's folder and weights' hash; nothing for an endpoint or a missing folder (creating the generator reports that).</summary>
        private static string AdapterIdentity(GeneratorSection generator) =>
            generator.ModelPath is null || (generator.AdapterPath is not null && !Directory.Exists(generator.AdapterPath))
                ? ""
                : Generators.AdapterIdentity(generator.AdapterPath);

        public void Dispose() => _generator?.Dispose();
    }

    /// <summary>A generated row as a training example, tagged with its origin so metrics and reports can tell it from real data.</summary>
    private static InstructionExample ToExample(SyntheticExample row, string client) =>
        new(Conversation.SingleTurn(row.Instruction, row.Response), new ExampleMetadata
        {
            Category = row.Category, ClientId = client, Source = row.Source, Origin = row.Origin,
        });
}
