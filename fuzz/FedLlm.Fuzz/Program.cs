using FedLlm.Fuzz.Targets;
using SharpFuzz;

// fedllm-fuzz TARGET              one input on stdin, or afl++'s stream of inputs when afl-fuzz runs it (fuzz/run.sh)
// fedllm-fuzz TARGET FILE|DIR...  replays saved inputs: accepted, refused or the unexpected exception (triage of a crash)
if (args.Length == 0 || FuzzTargets.Find(args[0]) is not { } target)
{
    Console.Error.WriteLine($"usage: fedllm-fuzz TARGET [FILE|DIR...]; targets: {FuzzTargets.Names}");
    return 2;
}

using var scratch = new ScratchDirectory();
if (args.Length > 1) return Replay(target, args[1..], scratch);

// Out of process: a stack overflow or a crash of the runtime is recorded as a crash instead of killing the fork server.
Fuzzer.OutOfProcess.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    target.Run(buffer.ToArray(), scratch);
});
return 0;

static int Replay(FuzzTarget target, string[] paths, ScratchDirectory scratch)
{
    var files = paths.SelectMany(path => Directory.Exists(path) ? Directory.GetFiles(path) : [path]).Order(StringComparer.Ordinal);
    int failures = 0;
    foreach (string file in files)
    {
        try
        {
            Console.WriteLine($"{file}: {(target.Run(File.ReadAllBytes(file), scratch) ? "accepted" : "refused")}");
        }
        catch (Exception e)
        {
            failures++;
            Console.Error.WriteLine($"{file}: {e}");
        }
    }
    Console.WriteLine($"{target.Name}: {failures} unexpected exception(s)");
    return failures == 0 ? 0 : 1;
}
