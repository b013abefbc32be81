"""Due work, tasks, the scheduler and web push."""
