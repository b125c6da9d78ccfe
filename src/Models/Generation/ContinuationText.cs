using System.Text;
using FedLlm.Tokenization;

namespace FedLlm.Models.Generation;

/// <summary>
/// The text of one sequence's continuation as its tokens arrive: decoded incrementally, cut at the first stop string,
/// and released for streaming only once it can no longer turn out to be the start of a stop string.
/// </summary>
internal sealed class ContinuationText
{
    private readonly TokenStreamDecoder _decoder;
    private readonly IReadOnlyList<string> _stops;
    private readonly int _longestStop;
    private readonly StringBuilder _text = new();
    private int _released;

    /// <param name="lastPromptId">The prompt's last token: after an ordinary token the continuation keeps its leading space.</param>
    public ContinuationText(ITokenizer tokenizer, int lastPromptId, IReadOnlyList<string> stops)
    {
        _decoder = tokenizer.CreateStreamDecoder();
        _decoder.ContinueAfter(lastPromptId);
        _stops = stops.Where(s => s.Length > 0).ToArray();
        _longestStop = _stops.Count == 0 ? 0 : _stops.Max(s => s.Length);
    }

    public bool StoppedByString { get; private set; }

    public string Text => _text.ToString();

    /// <summary>Adds a generated token; returns the text that became safe to show (possibly empty).</summary>
    public string Append(int id)
    {
        _text.Append(_decoder.Append(id));
        int stopAt = FindStop(Math.Max(0, _released - _longestStop));
        if (stopAt >= 0)
        {
            _text.Length = stopAt;
            StoppedByString = true;
            return Release(_text.Length);
        }
        return Release(_text.Length - Math.Max(0, _longestStop - 1));
    }

    /// <summary>Ends the continuation: the text still held back (and any incomplete trailing bytes, as U+FFFD).</summary>
    public string Finish()
    {
        if (!StoppedByString)
        {
            _text.Append(_decoder.Flush());
            int stopAt = FindStop(Math.Max(0, _released - _longestStop));
            if (stopAt >= 0)
            {
                _text.Length = stopAt;
                StoppedByString = true;
            }
        }
        return Release(_text.Length);
    }

    private string Release(int upTo)
    {
        if (upTo <= _released) return "";
        string chunk = _text.ToString(_released, upTo - _released);
        _released = upTo;
        return chunk;
    }

    private int FindStop(int from)
    {
        if (_stops.Count == 0) return -1;
        string tail = _text.ToString(from, _text.Length - from);
        int best = -1;
        foreach (string stop in _stops)
        {
            int at = tail.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (best < 0 || at < best)) best = at;
        }
        return best < 0 ? -1 : from + best;
    }
}
