using System.Text.Json;

namespace FedLlm.Federation.Splits;

/// <summary>
/// One record met while streaming a FedLLM-Bench file. <see cref="Record"/> is only valid during the callback; call
/// <see cref="JsonElement.Clone"/> to keep it.
/// </summary>
/// <param name="ClientIndex">0-based client index: the position of the client's key in the file.</param>
/// <param name="ClientId">The client's key (opaque text).</param>
/// <param name="IndexInClient">Position of the record in the client's array.</param>
/// <param name="GlobalIndex">Position of the record in the whole file (the index a <see cref="ClientSplit"/> uses).</param>
public readonly record struct FedLlmBenchRecord(int ClientIndex, string ClientId, int IndexInClient, int GlobalIndex, JsonElement Record);

/// <summary>A client of a FedLLM-Bench file: its key and the contiguous global range of its records.</summary>
public sealed record FedLlmBenchClient(int Index, string Id, int FirstRecord, int RecordCount);
