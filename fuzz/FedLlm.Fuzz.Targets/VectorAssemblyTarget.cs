using FedLlm.Transport.Protocol;
using FedLlm.Transport.Wire;
using Google.Protobuf;

namespace FedLlm.Fuzz.Targets;

/// <summary>
/// A result stream as a member sends it: length-delimited <see cref="ResultMessage"/>s, a header announcing vectors then
/// their chunks, reassembled under the server's allowance (named vectors of exactly the adapter's length) and under the
/// member's (any name, at most the adapter's length). Bytes gRPC itself could not parse end the stream, as they would
/// never reach our code. Accepted when either allowance takes the stream. Bad input: <see cref="InvalidDataException"/>.
/// Besides exceptions, the target checks the assembler's promise to allocate nothing beyond the allowance: building it
/// may allocate at most the allowed bytes per announced vector, however large the announced lengths.
/// </summary>
public sealed class VectorAssemblyTarget : FuzzTarget
{
    /// <summary>The adapter's length in this harness: small, so an allocation beyond the allowance stands out.</summary>
    public const long AdapterValues = 64;

    /// <summary>Bookkeeping per announced vector (dictionary slot, tuple) besides its buffer; generous.</summary>
    private const long OverheadPerVector = 1024;

    private const long FixedOverhead = 64 * 1024;

    private static readonly VectorAllowance[] Allowances =
    [
        new(AdapterValues, new HashSet<string>([ProtocolConstants.WeightsVector, ProtocolConstants.CiphertextVector], StringComparer.Ordinal), ExactLength: true),
        new(AdapterValues),
    ];

    public override string Name => "vectors";

    public override bool Run(byte[] input, ScratchDirectory scratch)
    {
        var messages = ParseMessages(input);
        if (messages.Count == 0 || messages[0].BodyCase != ResultMessage.BodyOneofCase.Header) return false;
        var header = messages[0].Header;
        bool accepted = false;
        foreach (var allowance in Allowances) accepted |= Assemble(header, messages.Skip(1), allowance);
        return accepted;
    }

    private static bool Assemble(ResultHeader header, IEnumerable<ResultMessage> rest, VectorAllowance allowance)
    {
        try
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            var assembler = new VectorAssembler(header.Vectors, allowance);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            long budget = FixedOverhead + header.Vectors.Count * (allowance.MaxValues * 8 + OverheadPerVector);
            if (allocated > budget)
                throw new FuzzFindingException($"the assembler allocated {allocated} bytes for {header.Vectors.Count} announced vectors; the allowance permits {budget}");
            foreach (var message in rest)
            {
                // The server's rule: after the header, only chunks.
                if (message.BodyCase != ResultMessage.BodyOneofCase.Chunk) return false;
                assembler.Add(message.Chunk);
            }
            assembler.Complete();
            return true;
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }

    private static List<ResultMessage> ParseMessages(byte[] input)
    {
        var messages = new List<ResultMessage>();
        using var stream = new MemoryStream(input, writable: false);
        try
        {
            while (stream.Position < stream.Length) messages.Add(ResultMessage.Parser.ParseDelimitedFrom(stream));
        }
        catch (InvalidProtocolBufferException)
        {
        }
        return messages;
    }
}
