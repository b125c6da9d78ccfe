using FedLlm.Data;
using FedLlm.Data.Loading;
using FedLlm.Data.Model;

namespace FedLlm.Fuzz.Targets;

/// <summary>
/// One file's bytes loaded as each text dataset format the loader reads by extension (JSON, JSONL, CSV, text lines),
/// records converted to examples with bad rows skipped, as training reads its data. Parquet is left to its library.
/// Bad input: <see cref="DataFormatException"/>. Accepted when any of the formats yields an example.
/// </summary>
public sealed class DatasetTarget : FuzzTarget
{
    private static readonly string[] Extensions = [".json", ".jsonl", ".csv", ".txt"];

    public override string Name => "dataset";

    public override bool Run(byte[] input, ScratchDirectory scratch)
    {
        bool accepted = false;
        foreach (string extension in Extensions)
        {
            string path = scratch.Write("data" + extension, input);
            try
            {
                accepted |= DatasetLoader.Load<Example>(path).Examples.Count > 0;
            }
            catch (DataFormatException)
            {
            }
        }
        return accepted;
    }
}
