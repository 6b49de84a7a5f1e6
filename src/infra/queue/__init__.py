"""Message-queue adapters: SQS FIFO with its dead-letter queue, and an in-process twin."""
