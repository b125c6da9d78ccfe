namespace FedLlm.Data;

/// <summary>Bad input data: the message always names the file and, when known, the line or record.</summary>
public sealed class DataFormatException : Exception
{
    public DataFormatException(string message) : base(message) { }

    public DataFormatException(string message, Exception inner) : base(message, inner) { }
}
