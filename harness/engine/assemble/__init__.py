"""Reply assembly: SDK objects from (streamed) replies."""
